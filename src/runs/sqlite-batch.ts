import type { SqliteDb } from './sqlite-engine.js';

interface Queued {
  apply(): void;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Group commit for the journal: the writes made in one turn of the event loop are committed in
 * one transaction at its end (32 calls arriving together are one commit, not 32, and share their
 * WAL pages), and commits are at least `spacingMs` apart: under load the writes of several turns
 * share one. A write's promise resolves once its transaction committed, so "written" means what
 * it did before. Reads call `flush()` first and always see every write made before them. When a
 * transaction fails, its writes are retried one by one, so only the write at fault fails.
 */
export class WriteBatch {
  private queue: Queued[] = [];
  private scheduled = false;
  private lastCommit = -Infinity;
  /** Transactions committed and statements written (tests prove batching with them). */
  readonly counts = { transactions: 0, statements: 0 };

  constructor(private readonly db: SqliteDb, private readonly onCommit: (transactions: number) => void, private readonly spacingMs = 0) {}

  /** Queues `apply` (one or more statements) for the end of this turn, or of the commit spacing. */
  write(apply: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ apply, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      const wait = this.lastCommit + this.spacingMs - performance.now();
      if (wait > 0) setTimeout(() => this.flush(), wait);
      else setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued so far, now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.lastCommit = performance.now();
    if (batch.length > 1 && this.together(batch)) return;
    for (const w of batch) {
      try {
        w.apply();
      } catch (err) {
        w.reject(err);
        continue;
      }
      this.committed(1, 1);
      w.resolve();
    }
  }

  private together(batch: Queued[]): boolean {
    try {
      this.db.prepare('BEGIN IMMEDIATE').run();
    } catch {
      return false;
    }
    try {
      for (const w of batch) w.apply();
      this.db.prepare('COMMIT').run();
    } catch {
      try {
        this.db.prepare('ROLLBACK').run();
      } catch {
        // already rolled back by SQLite
      }
      return false;
    }
    this.committed(1, batch.length);
    for (const w of batch) w.resolve();
    return true;
  }

  private committed(transactions: number, statements: number): void {
    this.counts.transactions += transactions;
    this.counts.statements += statements;
    this.onCommit(transactions);
  }
}
