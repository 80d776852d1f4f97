import type { Logger } from '../core/log.js';
import type { RunTracker } from './tracker.js';

const DAY_MS = 86_400_000;

/** Runs `task` every `ms`, never two at once (a slow store must not pile calls up). */
function every(ms: number, task: () => Promise<void>, onError: (err: Error) => void): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    task().catch(onError).finally(() => (busy = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Retention pruning now and hourly; cancel requests from other processes every second; the
 * lease renewed and stopped owners' runs adopted three times per lease period, so a dead
 * owner's runs move within about one lease period after its lease lapses.
 */
export function startHousekeeping(tracker: RunTracker, opts: { retentionDays: number; leaseMs: number; log: Logger }): () => void {
  const prune = async (): Promise<void> => {
    const before = new Date(tracker.clock.now() - opts.retentionDays * DAY_MS).toISOString();
    const n = await tracker.store.prune(before);
    if (n > 0) opts.log.info(`journal: removed ${n} runs that ended more than ${opts.retentionDays} days ago`);
  };
  const pruneFailed = (err: Error): void => opts.log.warn(`journal: pruning failed: ${err.message}`);
  void prune().catch(pruneFailed);
  const stops = [
    every(3_600_000, prune, pruneFailed),
    every(1000, () => tracker.pollCancelRequests(), (err) => opts.log.warn(`journal: reading cancel requests failed: ${err.message}`)),
    every(Math.max(250, Math.floor(opts.leaseMs / 3)), async () => {
      await tracker.keepLease(opts.leaseMs);
      await tracker.recover();
    }, (err) => opts.log.warn(`journal: lease or adoption failed: ${err.message}`)),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
