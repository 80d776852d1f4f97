import type { Logger } from '../core/log.js';
import type { RunTracker } from './tracker.js';

const DAY_MS = 86_400_000;

/** Retention pruning now and hourly; cancel requests from other processes every second. */
export function startHousekeeping(tracker: RunTracker, opts: { retentionDays: number; log: Logger }): () => void {
  const prune = async (): Promise<void> => {
    try {
      const before = new Date(tracker.clock.now() - opts.retentionDays * DAY_MS).toISOString();
      const n = await tracker.store.prune(before);
      if (n > 0) opts.log.info(`journal: removed ${n} runs that ended more than ${opts.retentionDays} days ago`);
    } catch (err) {
      opts.log.warn(`journal: pruning failed: ${(err as Error).message}`);
    }
  };
  void prune();
  const hourly = setInterval(() => void prune(), 3_600_000);
  let reading = false;
  const cancels = setInterval(() => {
    if (reading) return; // a slow store: one read at a time
    reading = true;
    tracker
      .pollCancelRequests()
      .catch((err: Error) => opts.log.warn(`journal: reading cancel requests failed: ${err.message}`))
      .finally(() => (reading = false));
  }, 1000);
  hourly.unref();
  cancels.unref();
  return () => {
    clearInterval(hourly);
    clearInterval(cancels);
  };
}
