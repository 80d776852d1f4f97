import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { isTerminal } from '../providers/types.js';
import type { JournalRun, RunStore } from './journal.js';
import { retryWrite } from './signals.js';
import { runKey as key, type Tracked } from './live-run.js';

/**
 * How long a run that lives in this process may go unrecorded. One that ends sooner (a no-op
 * workflow, a synchronous endpoint) is written once, as it ended, instead of inserted and then
 * updated; those that outlast it are inserted together. The cost: a crash records none of the
 * runs started in its last 20 ms — runs the crash ended anyway, which would otherwise show as
 * failed with "server stopped". A platform run is recorded at once, so another process can adopt it.
 */
export const LAZY_INSERT_MS = 20;

export interface JournalWritesOptions {
  store: RunStore;
  log: Logger;
  /** The tracker's live runs, by `runKey`: a run leaves them once its last write landed. */
  live: Map<string, Tracked>;
  closing(): boolean;
  iso(): string;
  clock: Clock;
}

/** The tracker's journal write queue: each live run's writes in order, failures logged, retirement after the last. */
export class JournalWrites {
  /** Runs not yet recorded, each with what resolves the promise its later writes wait for. */
  private readonly unrecorded = new Map<Tracked, (landed: Promise<void>) => void>();
  private lazyTimer: { cancel(): void } | null = null;

  constructor(private readonly o: JournalWritesOptions) {}

  /**
   * Records a new run — the first of its writes — at once, or, when `lazy`, within
   * `LAZY_INSERT_MS` or when it ends, as it is then. A failure is logged, never thrown.
   */
  insert(t: Tracked, lazy: boolean): Promise<void> {
    if (!lazy) return this.record(t);
    return new Promise((resolve) => {
      this.unrecorded.set(t, resolve);
      this.lazyTimer ??= this.o.clock.setTimeout(() => this.recordAll(), LAZY_INSERT_MS);
    });
  }

  /** Records `t` now if it waits for its window; the promise its writes so far chain on. */
  recordNow(t: Tracked): Promise<void> {
    const release = this.unrecorded.get(t);
    if (release) {
      this.unrecorded.delete(t);
      release(this.record(t));
    }
    return t.writes;
  }

  /** Records every run not yet recorded, now (before a listing, a flush, closing). */
  recordAll(): void {
    this.lazyTimer?.cancel();
    this.lazyTimer = null;
    for (const [t, release] of this.unrecorded) release(this.record(t));
    this.unrecorded.clear();
  }

  private record(t: Tracked): Promise<void> {
    const run = { ...t.run };
    return retryWrite(() => this.o.store.insert(run, run.owner, this.o.iso(), run.startedBy), () => this.o.closing()).catch((err: Error) => {
      this.o.log.error(`journal: could not record run ${run.provider}/${run.runId}: ${err.message}`);
    });
  }

  /** Queues a write of the run as it is now, after the run's earlier writes. */
  persist(t: Tracked): void {
    const release = this.unrecorded.get(t);
    if (release) {
      // Not recorded yet: its insert carries this change; one that ended is recorded now.
      if (isTerminal(t.run.status)) void this.recordNow(t);
      return;
    }
    const snapshot = { ...t.run };
    const now = this.o.iso();
    const write = (): Promise<void> => retryWrite(() => this.o.store.update(snapshot, now), () => this.o.closing());
    if (!this.o.store.writesInOrder) {
      t.writes = t.writes.then(write).catch((err: Error) => this.failed(snapshot, err));
      return;
    }
    // Queued now, behind the run's earlier writes in the store's own queue: a run that ends in
    // the turn it started is inserted and updated in one transaction.
    const landed = write().catch((err: Error) => this.failed(snapshot, err));
    t.writes = t.writes.then(() => landed);
  }

  failed(run: JournalRun, err: Error): void {
    this.o.log.error(`journal: could not update run ${run.provider}/${run.runId}: ${err.message}`);
  }

  /** Stops counting a run as live once its last write landed, so a read never sees an older row. */
  retire(t: Tracked): void {
    const k = key(t.run.provider, t.run.runId);
    void t.writes.then(() => {
      if (this.o.live.get(k) === t) this.o.live.delete(k);
    });
  }
}
