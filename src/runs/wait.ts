import type { Clock } from '../core/clock.js';
import type { RunStatus } from '../providers/types.js';
import type { JournalRun } from './journal.js';

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  onUpdate?: ((run: JournalRun, change: { statusChanged: boolean }) => void) | undefined;
  /** When waiting is over; settled (ended or waiting for a person) by default. */
  settle?: (s: RunStatus) => boolean;
}

const JOURNAL_POLL_MS = 500;

/** Subscribes `wake` to news about the run (a change signal); returns the unsubscribe. */
export type Nudge = (wake: () => void) => () => void;

/**
 * For runs another process is running: read the journal until they settle, the timeout
 * passes or the signal aborts, reporting changes as they are seen.
 */
export async function waitOnJournal(read: () => Promise<JournalRun | undefined>, start: JournalRun, o: WaitOptions & { settle: (s: RunStatus) => boolean; nudge?: Nudge }, clock: Clock): Promise<JournalRun> {
  const deadline = clock.now() + o.timeoutMs;
  let run = start;
  while (!o.settle(run.status) && clock.now() < deadline && !o.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        stop?.();
        o.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(JOURNAL_POLL_MS, Math.max(1, deadline - clock.now())));
      const stop = o.nudge?.(done);
      o.signal?.addEventListener('abort', done, { once: true });
    });
    const next = (await read()) ?? run;
    if (next.status !== run.status || next.message !== run.message) o.onUpdate?.(next, { statusChanged: next.status !== run.status });
    run = next;
  }
  return run;
}
