import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { truncatedJson } from '../core/json.js';
import { RUN_STATUSES, type Run } from '../providers/types.js';

export const OUTPUT_TEXT_MAX = 100 * 1024;

/** The run envelope: every workflow tool's `structuredContent`, whatever the run's state. */
export interface RunEnvelope {
  [key: string]: unknown;
  run_id: string;
  provider: string;
  workflow_id: string;
  version: string | null;
  status: Run['status'];
  output: unknown;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
  run_uri: string;
}

const nullableString = { type: ['string', 'null'] };
export const ENVELOPE_PROPERTIES = {
  run_id: { type: 'string', description: 'The run id; pass it to get_run, wait_for_run or cancel_run.' },
  provider: { type: 'string' },
  workflow_id: { type: 'string' },
  version: { ...nullableString, description: 'The version that ran.' },
  status: { type: 'string', enum: [...RUN_STATUSES], description: '"running"/"queued": not done yet, call wait_for_run. "waiting": waits for a person.' },
  output: { description: "The workflow's output once completed, else null." },
  error: { ...nullableString, description: 'Why the run failed or was cancelled.' },
  started_at: nullableString,
  ended_at: nullableString,
  run_uri: { type: 'string', description: 'The run as an MCP resource (subscribe for updates).' },
} as const;

export const ENVELOPE_SCHEMA = {
  type: 'object',
  properties: ENVELOPE_PROPERTIES,
  required: ['run_id', 'provider', 'workflow_id', 'status', 'output', 'error', 'run_uri'],
} as const;

export function runUri(provider: string, runId: string): string {
  return `workflows://runs/${encodeURIComponent(provider)}/${encodeURIComponent(runId)}`;
}

export function toEnvelope(run: Run): RunEnvelope {
  return {
    run_id: run.runId, provider: run.provider, workflow_id: run.workflowId, version: run.version ?? null, status: run.status,
    output: run.output ?? null, error: run.error, started_at: run.startedAt, ended_at: run.endedAt, run_uri: runUri(run.provider, run.runId),
  };
}

/** What the model reads next to the envelope: the output itself, or what to do next. */
function statusText(run: Run, note: string | undefined): string {
  const handle = `{"provider": "${run.provider}", "run_id": "${run.runId}"}`;
  switch (run.status) {
    case 'completed':
      return truncatedJson(run.output ?? null, OUTPUT_TEXT_MAX, runUri(run.provider, run.runId));
    case 'failed':
      return `The run failed: ${run.error ?? 'no reason given'}. Check the input and try again, or read ${runUri(run.provider, run.runId)} for details.`;
    case 'cancelled':
      return `The run was cancelled${run.error ? ` (${run.error})` : ''}.`;
    case 'waiting':
      return `The run is waiting for a person to respond. It stays open until resumed${note ? `: ${note.replace('run_id": …', `run_id": "${run.runId}"`)}` : ''}. Call get_run ${handle} to check on it.`;
    case 'unknown':
      return `The run's state is unknown${run.error ? ` (${run.error})` : ''}. Call get_run ${handle} to check again; do not start it again.`;
    default:
      return `The run is still ${run.status}${note ? ` (${note})` : ''}. It keeps going in the background: call wait_for_run ${handle} to wait for the result, or read ${runUri(run.provider, run.runId)}.`;
  }
}

/** A tool result for a run: envelope as structuredContent, text, and a link to the run resource. */
export function runResult(run: Run, note?: string): CallToolResult {
  const failed = run.status === 'failed' || run.status === 'cancelled';
  const text = note && (run.status === 'completed' || failed) ? `${note}\n${statusText(run, undefined)}` : statusText(run, note);
  return {
    structuredContent: toEnvelope(run),
    content: [
      { type: 'text', text },
      { type: 'resource_link', uri: runUri(run.provider, run.runId), name: `run ${run.runId}`, title: `${run.provider} run ${run.runId} (${run.status})`, mimeType: 'application/json' },
    ],
    ...(failed ? { isError: true } : {}),
  };
}

/** A tool error the model can act on; no structuredContent, as the spec allows for errors. */
export function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** Runs a tool's work; a failure becomes an `isError` result with its (model-safe) message. */
export async function resultOrError(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (err) {
    return errorResult((err as Error).message);
  }
}
