import type { Logger } from '../core/log.js';
import type { Run } from '../providers/types.js';
import type { JournalRun, RunStore } from './journal.js';
import { retryWrite } from './signals.js';
import { runKey as key, type Tracked } from './live-run.js';

export interface JournalWritesOptions {
  store: RunStore;
  log: Logger;
  /** The tracker's live runs, by `runKey`: a run leaves them once its last write landed. */
  live: Map<string, Tracked>;
  closing(): boolean;
  iso(): string;
}

/** The tracker's journal write queue: each live run's writes in order, failures logged, retirement after the last. */
export class JournalWrites {
  constructor(private readonly o: JournalWritesOptions) {}

  /** Records a new run: the first of its queued writes. A failure is logged, never thrown. */
  insert(run: Run, journaled: JournalRun): Promise<void> {
    return retryWrite(() => this.o.store.insert(run, journaled.owner, journaled.updatedAt, journaled.startedBy), () => this.o.closing()).catch((err: Error) => {
      this.o.log.error(`journal: could not record run ${run.provider}/${run.runId}: ${err.message}`);
    });
  }

  /** Queues a write of the run as it is now, after the run's earlier writes. */
  persist(t: Tracked): void {
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
