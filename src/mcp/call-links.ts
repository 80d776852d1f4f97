import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../core/log.js';
import { extend } from '../core/objects.js';

/**
 * A `tools/call` in flight on a stateful HTTP session, waiting on a run: where its answer goes
 * (the session's SSE stream of that POST), what it asked for and until when it waits. If the
 * replica answering it dies, the one that adopts the run answers it into the shared event store,
 * and a client resuming the stream with `Last-Event-ID` on any replica gets the answer.
 */
export interface LinkedCall {
  sessionId: string;
  streamId: string;
  requestId: RequestId;
  progressToken: string | number | undefined;
  /** Epoch ms when the call's wait budget runs out, and that budget. */
  deadline: number;
  budgetMs: number;
  /** Who called (the principal's id). */
  principal: string;
  provider: string;
  runId: string;
}

/** Where calls in flight are recorded (PostgreSQL only: one process's calls die with it anyway). */
export interface CallLinks {
  /** `owner`: this replica (the run store's name for it); when its lease lapses, another answers the call. */
  link(call: LinkedCall, owner: string): Promise<void>;
  /** The call answered on its own replica: nobody else must answer it. */
  unlink(sessionId: string, requestId: RequestId): Promise<void>;
}

/**
 * One call's link, for the handler: `onRun` records it once the call waits on a run (a wait of
 * zero records nothing) and the run is in the journal (`runRecorded`: where the replica that
 * takes the run over finds it), `done` removes it — after the record, never before it.
 */
export function callLink(
  links: CallLinks, call: Omit<LinkedCall, 'provider' | 'runId' | 'deadline' | 'budgetMs'>, owner: string, log: Logger,
  runRecorded: (provider: string, runId: string) => Promise<void>,
): { onRun(run: { provider: string; runId: string }, timeoutMs?: number): void; done(): void } {
  let recorded: Promise<boolean> | null = null;
  return {
    onRun(run, timeoutMs = 0) {
      if (recorded || timeoutMs <= 0) return;
      const linked: LinkedCall = extend(call, { provider: run.provider, runId: run.runId, deadline: Date.now() + timeoutMs, budgetMs: timeoutMs });
      recorded = runRecorded(run.provider, run.runId).then(() => links.link(linked, owner)).then(() => true, (err: Error) => (log.warn(`run ${run.runId}: could not record the call waiting on it: ${err.message}`), false));
    },
    done() {
      void recorded?.then((ok) => (ok ? links.unlink(call.sessionId, call.requestId) : undefined)).catch((err: Error) => log.debug(`could not remove a call's link: ${err.message}`));
    },
  };
}
