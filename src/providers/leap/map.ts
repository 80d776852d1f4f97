import type { Run, RunStatus } from '../types.js';
import type { LeapRun } from './wire.js';

const STATUS: Record<string, RunStatus> = { queued: 'queued', running: 'running', completed: 'completed', failed: 'failed', cancelled: 'cancelled' };

export function statusOf(raw: string): RunStatus {
  return STATUS[raw.toLowerCase()] ?? 'unknown';
}

/** v2 workflows have `wkfv2_` ids and run through /v2; everything else through /v1. */
export function generationOf(workflowId: string): 'v1' | 'v2' {
  return workflowId.startsWith('wkfv2_') ? 'v2' : 'v1';
}

export function toRun(r: LeapRun, workflowId: string, input: unknown): Run {
  const status = statusOf(r.status);
  const ended = status === 'completed' || status === 'failed' || status === 'cancelled';
  const created = r.created_at ? new Date(r.created_at).toISOString() : new Date().toISOString();
  return {
    provider: 'leap', workflowId: r.workflow_id ?? workflowId, ...(r.version_id ? { version: r.version_id } : {}), runId: r.id, status,
    input: r.input ?? input, output: status === 'completed' ? (r.output ?? r.result ?? null) : null,
    error: status === 'failed' ? (r.error ?? 'the run failed') : status === 'cancelled' ? (r.error ?? 'cancelled on Leap') : null,
    createdAt: created, startedAt: r.started_at ? new Date(r.started_at).toISOString() : null,
    // The documented failed webhook has ended_at null: an ended run still gets an end time.
    endedAt: ended ? (r.ended_at ? new Date(r.ended_at).toISOString() : new Date().toISOString()) : null, raw: { status: r.status },
  };
}
