import { settledWithin, type Clock } from '../core/clock.js';
import type { JournalRun } from './journal.js';
import { isTerminal } from '../providers/types.js';
import { isSettled, type RunListener, type Tracked } from './live-run.js';
import type { WaitOptions } from './wait.js';

/** How long an answer or a progress waits at most for a run's writes: a journal that stopped answering must not hold it for good. */
export const WRITTEN_WAIT_MS = 5000;

/** What waiting on a live run needs of the tracker. */
export interface LiveWaitHost {
  clock: Clock;
  /** Whether every answer waits for the run's writes (replicas read the store: `RunStore.sharedByReplicas`). */
  afterWrites: boolean;
  /** Records the run now if it waits for its lazy-insert window; resolves when its writes so far landed. */
  recordNow(t: Tracked): Promise<void>;
}

/**
 * Waits on a run this process follows: resolves when it settles (or `o.settle` says so), a
 * final update arrives, the timeout passes or `o.signal` aborts. The answer leaves once the run's
 * writes so far landed when `h.afterWrites` or the run has not ended.
 */
export function waitLive(t: Tracked, o: WaitOptions, h: LiveWaitHost): Promise<JournalRun> {
  const settle = o.settle ?? isSettled;
  // A run still going is handed out by id, to be asked about later (after a restart too): it is
  // recorded now and in the journal before the answer leaves. One that ended is answered with its outcome.
  const answer = (): Promise<JournalRun> | JournalRun => (h.afterWrites || !isTerminal(t.run.status) ? written(t, h) : { ...t.run });
  // It may have settled already (a provider that confirms a cancel synchronously).
  if (settle(t.run.status) || o.signal?.aborted) return Promise.resolve(answer());
  return new Promise((resolve) => {
    const finish = (): void => {
      timer.cancel();
      t.listeners.delete(listener);
      o.signal?.removeEventListener('abort', finish);
      resolve(answer());
    };
    const listener: RunListener = (run, change) => {
      o.onUpdate?.(run, change);
      if (settle(run.status) || change.final) finish();
    };
    const timer = h.clock.setTimeout(finish, o.timeoutMs);
    t.listeners.add(listener);
    o.signal?.addEventListener('abort', finish, { once: true });
  });
}

/**
 * The run as it is now, after its writes so far landed (at most 5 s): a caller given a run id
 * or told "completed" who asks another replica next finds the run there, in that state. Without
 * replicas an ended run's answer does not wait: the group commit lands within
 * `COMMIT_SPACING_MS`, and waiting for it held every answer of a busy turn back until then
 * (0.3–0.4 ms of a synchronous call's p50 at 32 at once, bench/README.md).
 */
async function written(t: Tracked, h: LiveWaitHost): Promise<JournalRun> {
  const copy = { ...t.run };
  await settledWithin(h.recordNow(t), WRITTEN_WAIT_MS);
  return copy;
}
