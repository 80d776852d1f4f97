import { globToRegExp } from '../../core/glob.js';
import { isPlainObject, tryStringify } from '../../core/json.js';
import type { JSONSchema, Run, RunStatus, RunStep } from '../types.js';
import { lastStateEvidence, structureOfDetails, type Structure } from './structure.js';
import type { Execution, WorkflowSummary } from './wire.js';

/** Terminal entries of `workflow_event_log` (Step Functions style), the first rule. */
const EVENT_STATUS: Record<string, RunStatus> = {
  ExecutionSucceeded: 'completed',
  ExecutionFailed: 'failed',
  ExecutionTimedOut: 'failed',
  ExecutionAborted: 'cancelled',
};

/** Every string under a `type`/`event`/`name` key anywhere in the event log. */
function eventTypes(log: unknown, depth = 0): string[] {
  if (depth > 4 || log === null || typeof log !== 'object') return [];
  const entries = Array.isArray(log) ? log : Object.values(log);
  const own = Array.isArray(log) ? [] : ['type', 'event', 'event_type', 'name'].map((k) => (log as Record<string, unknown>)[k]).filter((v): v is string => typeof v === 'string');
  return [...own, ...entries.flatMap((e) => eventTypes(e, depth + 1))];
}

/** `stateMap` keys are globs on the state name (`*wait*`), checked in order. */
function fromStateMap(state: string, stateMap: Record<string, RunStatus> | undefined): RunStatus | null {
  for (const [glob, status] of Object.entries(stateMap ?? {})) {
    if (globToRegExp(glob).test(state)) return status;
  }
  return null;
}

/** A status and, when the evidence is missing or contradictory, a line that says so. */
export interface Classified {
  status: RunStatus;
  note: string | null;
}

export function hasOutput(e: Execution): boolean {
  const out = e.workflow_output_payload;
  return out !== undefined && out !== null && !(isPlainObject(out) && Object.keys(out).length === 0);
}

/**
 * Looply has no status enum (providers.md §4). In order: terminal event-log entries; the
 * configured state map; the last-state rule — an output, and the current state has no outgoing
 * connection in the workflow's structure (the execution's `workflow_details`, else the structure
 * passed in); then the defaults — a state naming a wait is waiting, one naming a failure failed,
 * an output with no current state completed, a state named end/done/complete… completed unless
 * the structure says it goes on; anything else running.
 */
export function classify(e: Execution, stateMap?: Record<string, RunStatus>, structure?: Structure | null): Classified {
  for (const t of eventTypes(e.workflow_event_log)) if (EVENT_STATUS[t]) return { status: EVENT_STATUS[t]!, note: null };
  const state = e.workflow_current_state ?? '';
  const mapped = state ? fromStateMap(state, stateMap) : null;
  if (mapped) return { status: mapped, note: null };
  const output = hasOutput(e);
  const evidence = lastStateEvidence(state, structureOfDetails(e.workflow_details) ?? structure ?? null);
  if (output && evidence === 'last') return { status: 'completed', note: null };
  const lower = state.toLowerCase();
  if (/wait/.test(lower)) return { status: 'waiting', note: null };
  if (/terminat|abort|cancel/.test(lower)) return { status: 'cancelled', note: null };
  if (/fail|error/.test(lower)) return { status: 'failed', note: null };
  if (!state && output) return { status: 'completed', note: null };
  if (evidence !== 'not-last' && /^(end|done|complete|completed|success|succeeded)$/.test(lower)) return { status: 'completed', note: null };
  if (!output || evidence === 'not-last') return { status: 'running', note: null };
  const why = evidence === 'no-structure' ? "Looply did not give the workflow's structure" : `the workflow's structure has no state "${state}"`;
  return { status: 'running', note: `Looply gave an output, but ${why}, so whether "${state}" is the last state is not known; if the run is over, map the state in providers.looply.stateMap` };
}

export function statusOf(e: Execution, stateMap?: Record<string, RunStatus>, structure?: Structure | null): RunStatus {
  return classify(e, stateMap, structure).status;
}

export function isoFrom(t: number | string | null | undefined): string | null {
  if (t === null || t === undefined || t === '') return null;
  const ms = typeof t === 'number' ? (t < 1e12 ? t * 1000 : t) : Number.isNaN(Number(t)) ? Date.parse(t) : Number(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * An execution as our Run (the `looply_execution_id` is the run id). The end time is
 * `modified_on` where Looply gives it (its lists do; a single execution has none): else null,
 * and the tracker records when this server first saw the run end.
 */
export function toRun(e: Execution, stateMap?: Record<string, RunStatus>, structure?: Structure | null): Run {
  const status = statusOf(e, stateMap, structure);
  const ended = status === 'completed' || status === 'failed' || status === 'cancelled';
  const created = isoFrom(e.created_on) ?? new Date(0).toISOString();
  return {
    provider: 'looply', workflowId: e.workflow_id, ...(e.workflow_version === undefined ? {} : { version: String(e.workflow_version) }),
    runId: e.workflow_execution_id, status, input: e.workflow_input_payload ?? null,
    output: status === 'completed' ? (e.workflow_output_payload ?? null) : null,
    error: status === 'failed' ? `failed in state "${e.workflow_current_state ?? 'unknown'}"` : status === 'cancelled' ? 'terminated' : null,
    createdAt: created, startedAt: created, endedAt: ended ? isoFrom(e.modified_on) : null, raw: { workflow_current_state: e.workflow_current_state ?? null },
  };
}

/** `condensed_logs` as steps, when it is a list of per-step entries. */
export function stepsOf(e: Execution): RunStep[] {
  const logs = e.condensed_logs;
  const list = Array.isArray(logs) ? logs : isPlainObject(logs) ? Object.entries(logs).map(([k, v]) => ({ key: k, ...(isPlainObject(v) ? v : {}) })) : [];
  return list.filter(isPlainObject).map((s, i) => ({
    key: String(s['key'] ?? s['state'] ?? s['step'] ?? i),
    ...(typeof s['name'] === 'string' ? { name: s['name'] } : typeof s['state'] === 'string' ? { name: s['state'] } : {}),
    status: 'completed' as const,
    at: isoFrom(s['timestamp'] as number | string | undefined) ?? '',
  }));
}

/** The version number of a summary row: `workflow_version`, else the suffix of `ACTIVE_3`. */
export function versionOf(w: WorkflowSummary): number | null {
  if (w.workflow_version !== undefined) return w.workflow_version;
  const m = /_(\d+)$/.exec(w.workflow_status_version ?? '');
  return m ? Number(m[1]) : null;
}

/** A JSON Schema when `workflow_schema` is one; else derived from the mock payload, all optional. */
export function inputSchemaOf(schema: unknown, mock: unknown, maxProperties = 500): { schema: JSONSchema; note?: string } {
  const parsed = typeof schema === 'string' ? safeJson(schema) : schema;
  if (isPlainObject(parsed) && (parsed['type'] !== undefined || isPlainObject(parsed['properties']))) return { schema: parsed };
  const payload = typeof mock === 'string' ? (safeJson(mock) ?? mock) : mock;
  if (!isPlainObject(payload)) return { schema: { type: 'object', additionalProperties: true } };
  const example = tryStringify(payload) ?? ''; // a payload too deep to print is described, not shown
  const note = example && example.length <= 1500 ? `Example payload (from the workflow's mock payload): ${example}` : 'The workflow has a mock payload too large to show; its fields are listed in the input schema.';
  return { schema: { ...derive(payload, 0, { left: maxProperties }), additionalProperties: true }, note };
}

function derive(value: unknown, depth: number, budget: { left: number }): JSONSchema {
  if (Array.isArray(value)) return value.length && depth < 6 ? { type: 'array', items: derive(value[0], depth + 1, budget) } : { type: 'array' };
  if (isPlainObject(value)) {
    if (depth >= 6) return { type: 'object' };
    const properties: Record<string, JSONSchema> = {};
    for (const [k, v] of Object.entries(value)) {
      if (budget.left-- <= 0) break;
      properties[k] = derive(v, depth + 1, budget);
    }
    return { type: 'object', properties };
  }
  if (typeof value === 'number') return { type: 'number' }; // an example 5 says nothing against 5.5
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (value === null) return {};
  return { type: 'string' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
