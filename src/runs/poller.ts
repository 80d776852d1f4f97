import { LocalAbortController } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import { isWorkflowError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { isTerminal, type RunStatus, type RunUpdate } from '../providers/types.js';

/** How often to look: fast at first, slower as a run ages, slow while it waits for a person. */
export interface PollSchedule {
  firstMs: number;
  factor: number;
  capMs: number;
  waitingMs: number;
}

export const DEFAULT_SCHEDULE: PollSchedule = { firstMs: 400, factor: 1.7, capMs: 10_000, waitingMs: 60_000 };

/** Delay before the n-th poll (1-based) of a run that is still going. */
export function pollDelay(n: number, status: RunStatus, s: PollSchedule = DEFAULT_SCHEDULE): number {
  if (status === 'waiting') return s.waitingMs;
  return Math.min(s.capMs, Math.round(s.firstMs * s.factor ** Math.max(0, n - 1)));
}

/** Whatever paces one platform's polls: this process's own bucket, or one shared by replicas. */
export interface PollBudget {
  /** Resolves when this caller may send its request. */
  take(signal: AbortSignal): Promise<void>;
}

/** The budget for a platform that polls at most `perSecond` (embedded: RequestBudget). */
export type BudgetSource = (provider: string, perSecond: number) => PollBudget;

/**
 * A budget several replicas share (see http/shared-rate.ts): a token from the shared bucket,
 * or wait as long as the bucket says and ask again.
 */
export function sharedBudget(clock: Clock, take: () => Promise<number>): PollBudget {
  return {
    async take(signal) {
      while (!signal.aborted) {
        const wait = await take();
        if (wait === 0) return;
        await delay(clock, wait, signal);
      }
    },
  };
}

/**
 * One request budget per platform, shared by every run being polled: a token bucket that lets
 * a burst through at once (a lone run's first poll never waits) and holds the sustained rate to
 * `perSecond`, so a hundred runs do not become a hundred requests a second.
 */
export class RequestBudget implements PollBudget {
  private next = 0;
  private readonly interval: number;

  constructor(private readonly clock: Clock, perSecond = 5, private readonly burst = perSecond) {
    this.interval = 1000 / perSecond;
  }

  /** Resolves when this caller may send its request. */
  async take(signal: AbortSignal): Promise<void> {
    const now = this.clock.now();
    // Unused capacity accumulates up to `burst` requests, no more.
    this.next = Math.max(this.next, now - (this.burst - 1) * this.interval);
    const at = this.next;
    this.next += this.interval;
    if (at > now) await delay(this.clock, at - now, signal);
  }
}

export function delay(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = (): void => {
      timer.cancel();
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

export interface PollOptions {
  /** Reads the run once; throws on failure. */
  read(signal: AbortSignal): Promise<RunUpdate & { status: RunStatus }>;
  onUpdate(update: RunUpdate): void;
  signal: AbortSignal;
  clock: Clock;
  budget: PollBudget;
  log: Logger;
  what: string;
  schedule?: PollSchedule;
  /** Receives a function that ends the current wait at once (after a resume, say). */
  onWake?: (wake: () => void) => void;
  /** After this many failed reads in a row the run is reported `unknown` (polling goes on). */
  failuresBeforeUnknown?: number;
}

/** Polls until the run ends or `signal` aborts; honours Retry-After through the error's wait. */
export async function pollRun(o: PollOptions): Promise<void> {
  let n = 0;
  let failures = 0;
  let last: RunStatus | null = null;
  while (!o.signal.aborted) {
    await o.budget.take(o.signal);
    if (o.signal.aborted) return;
    try {
      const update = await o.read(o.signal);
      failures = 0;
      o.onUpdate(update);
      last = update.status;
      if (isTerminal(update.status) || update.final) return;
      n = update.status === 'waiting' ? n : n + 1;
    } catch (err) {
      if (o.signal.aborted) return;
      failures++;
      o.log.warn(`${o.what}: reading the run failed (${isWorkflowError(err) ? err.code : 'error'}): ${(err as Error).message}`);
      if (failures === (o.failuresBeforeUnknown ?? 5) && last !== 'unknown') {
        last = 'unknown';
        o.onUpdate({ status: 'unknown', message: `cannot read the run (${(err as Error).message}); still trying` });
      }
    }
    // The nap ends early when the run is woken or the watch stops (not AbortSignal.any: a real
    // composite signal per poll, and `o.signal` is a LocalAbortController's, which it cannot follow).
    const nap = new LocalAbortController();
    const endNap = (): void => nap.abort();
    o.onWake?.(() => {
      n = 0; // something changed on purpose: look again soon, then back off anew
      last = 'running';
      endNap();
    });
    o.signal.addEventListener('abort', endNap, { once: true });
    try {
      await delay(o.clock, failures ? pollDelay(n + failures, 'running', o.schedule) : pollDelay(n, last ?? 'running', o.schedule), nap.signal);
    } finally {
      o.signal.removeEventListener('abort', endNap);
    }
  }
}
