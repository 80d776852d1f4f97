import { isPlainObject, type JsonObject } from '../../core/json.js';
import { isTerminal, type Run, type RunStatus, type RunStep, type RunUpdate } from '../types.js';
import type { CortexRun } from './wire.js';

const STATUS: Record<string, RunStatus> = { PENDING: 'queued', RUNNING: 'running', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', SKIPPED: 'completed' };

/** Cortex's six statuses; SKIPPED did no work and counts as completed (the raw status is kept). */
export function statusOf(raw: string): RunStatus {
  return STATUS[raw.toUpperCase()] ?? 'unknown';
}

/** A run's per-step results keyed by step key, whether they came as a map or (older API) a list. */
export function stepOutputs(output: unknown): Record<string, JsonObject> {
  if (Array.isArray(output)) return Object.fromEntries(output.filter(isPlainObject).map((s, i) => [typeof s['key'] === 'string' ? s['key'] : String(i), s]));
  return isPlainObject(output) ? (Object.fromEntries(Object.entries(output).filter(([, s]) => isPlainObject(s))) as Record<string, JsonObject>) : {};
}

export function stepOf(key: string, s: JsonObject): RunStep {
  const type = typeof s['type'] === 'string' ? s['type'] : null;
  const at = typeof s['end'] === 'number' ? s['end'] : typeof s['start'] === 'number' ? s['start'] : Date.now();
  return { key, ...(type ? { name: `${type} "${key}"` } : {}), status: statusOf(String(s['status'] ?? '')), at: new Date(at).toISOString() };
}

export function stepsOf(output: unknown): RunStep[] {
  return Object.entries(stepOutputs(output)).map(([key, s]) => stepOf(key, s));
}

/** A Cortex run as our Run: `result` is the output; steps stay in the run resource. */
export function toRun(r: CortexRun, workflowId: string, input: unknown): Run {
  const status = statusOf(r.status);
  const ended = isTerminal(status);
  const created = r.created_at ?? r.started_at ?? new Date().toISOString();
  return {
    provider: 'cortex', workflowId: r.workflow_id ?? workflowId, ...(typeof r.version === 'number' ? { version: String(r.version) } : {}), runId: r.id, status,
    input: r.input ?? input, output: status === 'completed' ? (r.result ?? null) : null,
    error: status === 'failed' ? (r.error ?? 'the run failed') : status === 'cancelled' ? (r.error ?? 'cancelled') : null,
    createdAt: created, startedAt: r.started_at ?? null, endedAt: ended ? (r.ended_at ?? new Date().toISOString()) : null,
    raw: { status: r.status, ...sharedMark(r) },
  };
}

/** `shared` marks a run of a workflow another app owns (a discoverable one): Cortex cannot read it back. */
export function sharedMark(r: CortexRun): { shared?: true } {
  const app = r['app_id'];
  const owner = r['workflow_app_id'];
  return typeof app === 'string' && typeof owner === 'string' && app !== owner ? { shared: true } : {};
}

/** A run as Cortex last described it (a stream snapshot or a read), as a change for the tracker. */
export function runUpdateOf(r: CortexRun): RunUpdate & { status: RunStatus } {
  const mapped = toRun(r, r.workflow_id ?? '', null);
  const outputs = stepOutputs(r.output);
  return {
    status: mapped.status, steps: stepsOf(outputs),
    // The steps' own outputs stay with the run (its resource), apart from the result.
    raw: { status: r.status, ...sharedMark(r), ...(Object.keys(outputs).length ? { steps: outputs } : {}), ...(r['usage'] !== undefined ? { usage: r['usage'] } : {}) },
    ...(mapped.status === 'completed' ? { output: mapped.output } : {}),
    ...(mapped.error !== null ? { error: mapped.error } : {}),
    ...(mapped.startedAt ? { startedAt: mapped.startedAt } : {}),
    ...(mapped.endedAt ? { endedAt: mapped.endedAt } : {}),
  };
}
