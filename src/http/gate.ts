import { sleep } from '../core/abort.js';
import { WorkflowError } from '../core/errors.js';
import type { SharedBuckets } from './shared-rate.js';

export interface RateGateOptions {
  /** The platform's published limit; requests are paced to stay under it. */
  perMinute: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Where the allowance lives when several replicas call the same account (PostgreSQL): the
   * limit is the platform's, not each replica's. Absent: this process's own bucket.
   */
  shared?: { buckets: SharedBuckets; name: string } | undefined;
}

/**
 * The share of the allowance background reads (catalog listings) leave untouched: a catalog of
 * 10,000 workflows takes many minutes of a platform's allowance, and starts, polls and cancels
 * must not queue behind it.
 */
const BACKGROUND_RESERVE = 0.2;

/**
 * Every request to one platform passes this gate: a token bucket as large as the platform's
 * per-minute allowance (a burst goes through at once, the sustained rate stays under the limit)
 * and, after a 429, a pause every caller honours until Retry-After has passed. A background
 * request takes a token only while a reserve is left for the others, so they always go first.
 */
export class RateGate {
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly opts: RateGateOptions) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? sleep;
    this.tokens = opts.perMinute;
    this.refilledAt = this.now();
  }

  /** The platform said 429: nobody sends before `ms` from now. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Milliseconds until requests may go again after a 429 (0 when not paused). */
  get pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  /** Waits for a turn; fails as rate_limited when that would take longer than `maxWaitMs`. */
  async take(what: string, maxWaitMs: number, signal?: AbortSignal, background = false): Promise<void> {
    const reserve = background ? Math.floor(this.opts.perMinute * BACKGROUND_RESERVE) : 0;
    for (;;) {
      const wait = Math.max(this.pausedFor, await this.turn(reserve));
      if (wait === 0) return;
      if (wait > maxWaitMs) {
        throw new WorkflowError('rate_limited', `${what}: the platform's rate limit is reached; it accepts requests again in ${Math.ceil(wait / 1000)} s. Try again then.`);
      }
      await this.sleep(wait, signal);
      if (signal?.aborted) throw new WorkflowError('aborted', `${what} was aborted.`);
    }
  }

  /** Takes a token now (0) or says how long until one is there beyond `reserve`: from the shared bucket, else our own. */
  private async turn(reserve: number): Promise<number> {
    if (this.pausedFor > 0) return 0; // the pause decides; take no token while paused
    const shared = this.opts.shared;
    if (shared) return shared.buckets.take(shared.name, this.opts.perMinute / 60, this.opts.perMinute, reserve);
    const wait = this.refill(reserve);
    if (wait === 0) this.tokens -= 1;
    return wait;
  }

  /** Adds what accrued since the last look; returns how long until one token is there beyond `reserve`. */
  private refill(reserve: number): number {
    const now = this.now();
    const perMs = this.opts.perMinute / 60_000;
    this.tokens = Math.min(this.opts.perMinute, this.tokens + (now - this.refilledAt) * perMs);
    this.refilledAt = now;
    const need = 1 + reserve;
    return this.tokens >= need ? 0 : Math.ceil((need - this.tokens) / perMs);
  }
}
