import type { Run, RunStatus, RunStep } from '../types.js';
import type { CortexRun } from './wire.js';

const STATUS: Record<string, RunStatus> = { PENDING: 'queued', RUNNING: 'running', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', SKIPPED: 'completed' };

/** Cortex's six statuses; SKIPPED did no work and counts as completed (the raw status is kept). */
export function statusOf(raw: string): RunStatus {
  return STATUS[raw.toUpperCase()] ?? 'unknown';
}

export function stepsOf(run: CortexRun): RunStep[] {
  const output = run.output;
  const entries = Array.isArray(output) ? output.map((s, i) => [s.key ?? String(i), s] as const) : Object.entries(output ?? {});
  return entries.map(([key, s]) => ({
    key, ...(s.type ? { name: `${s.type} "${key}"` } : {}), status: statusOf(s.status),
    at: typeof s.end === 'number' ? new Date(s.end).toISOString() : typeof s.start === 'number' ? new Date(s.start).toISOString() : '',
  }));
}

/** A Cortex run as our Run: `result` is the output; steps stay in the run resource. */
export function toRun(r: CortexRun, workflowId: string, input: unknown): Run {
  const status = statusOf(r.status);
  const ended = status === 'completed' || status === 'failed' || status === 'cancelled';
  const created = r.created_at ?? r.started_at ?? new Date().toISOString();
  return {
    provider: 'cortex', workflowId: r.workflow_id ?? workflowId, ...(typeof r.version === 'number' ? { version: String(r.version) } : {}), runId: r.id, status,
    input: r.input ?? input, output: status === 'completed' ? (r.result ?? null) : null,
    error: status === 'failed' ? (r.error ?? 'the run failed') : status === 'cancelled' ? (r.error ?? 'cancelled') : null,
    createdAt: created, startedAt: r.started_at ?? null, endedAt: ended ? (r.ended_at ?? new Date().toISOString()) : null,
    raw: { status: r.status },
  };
}
