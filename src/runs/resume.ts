import { WorkflowError } from '../core/errors.js';
import type { CancelHost } from './cancel.js';
import { runKey as key } from './live-run.js';

/** What looking at a run again needs of the tracker: the cancel host's view of it. */
export type ResumeHost = Pick<CancelHost, 'live' | 'providers' | 'get' | 'wakeOwner'>;

/** Looks at a run again now (a webhook said it changed); else tells the process that follows it. False when this one does not. */
export function wakeRun(h: ResumeHost, provider: string, runId: string): boolean {
  const t = h.live.get(key(provider, runId));
  t?.wake?.();
  if (!t) h.wakeOwner({ provider, runId, owner: null });
  return t !== undefined;
}

/** Sends a waiting run the answer it waits for, then looks at it again soon. */
export async function resumeRun(h: ResumeHost, provider: string, runId: string, payload: Record<string, unknown>, source: string): Promise<void> {
  const run = await h.get(provider, runId);
  if (!run) throw runNotFound(provider, runId);
  const impl = h.providers.get(provider);
  if (!impl?.resume) throw new WorkflowError('unsupported', `Provider "${provider}" cannot resume runs.`);
  await impl.resume(run, payload, source);
  h.live.get(key(provider, runId))?.wake?.();
}

export function runNotFound(provider: string, runId: string): WorkflowError {
  return new WorkflowError('not_found', `No run "${runId}" for provider "${provider}" is known to this server. Call list_runs to see recent runs.`);
}
