import type { Logger } from '../core/log.js';
import type { RunTracker } from './tracker.js';

const DAY_MS = 86_400_000;

/** Retention pruning now and hourly; cancel requests from other processes every second. */
export function startHousekeeping(tracker: RunTracker, opts: { retentionDays: number; log: Logger }): () => void {
  const prune = (): void => {
    try {
      const before = new Date(tracker.clock.now() - opts.retentionDays * DAY_MS).toISOString();
      const n = tracker.journal.prune(before);
      if (n > 0) opts.log.info(`journal: removed ${n} runs that ended more than ${opts.retentionDays} days ago`);
    } catch (err) {
      opts.log.warn(`journal: pruning failed: ${(err as Error).message}`);
    }
  };
  prune();
  const hourly = setInterval(prune, 3_600_000);
  const cancels = setInterval(() => {
    try {
      tracker.pollCancelRequests();
    } catch (err) {
      opts.log.warn(`journal: reading cancel requests failed: ${(err as Error).message}`);
    }
  }, 1000);
  hourly.unref();
  cancels.unref();
  return () => {
    clearInterval(hourly);
    clearInterval(cancels);
  };
}
