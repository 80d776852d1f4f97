import type { Worker } from 'node:worker_threads';

/** Commits between two checkpoints (a run's insert and update are ~11 WAL pages of 4 KB): a WAL of ~2–4 MB. */
const COMMITS_PER_CHECKPOINT = 100;
/** The main connection's own checkpoint threshold while the thread does the work: a backstop only. */
const BACKSTOP_PAGES = 10_000;
/** SQLite's default, back in force when the thread is gone. */
const DEFAULT_PAGES = 1000;

/**
 * Keeps WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit
 * that crosses 1,000 WAL pages: two fsyncs and a copy of the pages, 4–15 ms here, every ~90 runs —
 * the sequential call's p99. Instead, a worker thread with its own connection checkpoints every
 * COMMITS_PER_CHECKPOINT commits (PASSIVE: the writer is never blocked, durability is the same).
 * The thread starts at the first checkpoint, so a server that only lists tools never pays for it;
 * if it cannot start or fails, the main connection checkpoints as before.
 */
export class WalCheckpointer {
  private readonly shared = new SharedArrayBuffer(12);
  private readonly state = new Int32Array(this.shared);
  private worker: Worker | null = null;
  private commits = 0;
  private failed = false;

  constructor(private readonly path: string, private readonly setAutoCheckpoint: (pages: number) => void) {
    setAutoCheckpoint(BACKSTOP_PAGES);
  }

  /** Checkpoints done by the thread (tests). */
  get checkpoints(): number {
    return Atomics.load(this.state, 2);
  }

  /** Counts commits; every COMMITS_PER_CHECKPOINT-th wakes the thread. */
  committed(n = 1): void {
    if (this.failed) return;
    this.commits += n;
    if (this.commits < COMMITS_PER_CHECKPOINT) return;
    this.commits = 0;
    if (!this.worker) this.start();
    Atomics.add(this.state, 0, 1);
    Atomics.notify(this.state, 0);
  }

  private start(): void {
    try {
      // Got here, not imported: a server that only lists tools never loads node:worker_threads.
      const { Worker } = process.getBuiltinModule('node:worker_threads');
      this.worker = new Worker(new URL('./sqlite-checkpoint-worker.js', import.meta.url), { workerData: { path: this.path, shared: this.shared } });
    } catch {
      return this.fallBack();
    }
    this.worker.on('message', () => this.fallBack());
    this.worker.on('error', () => this.fallBack());
    this.worker.unref(); // never what keeps the process alive (after the listeners, which would ref it)
  }

  private fallBack(): void {
    if (this.failed) return;
    this.failed = true;
    try {
      this.setAutoCheckpoint(DEFAULT_PAGES);
    } catch {
      // the store is closing
    }
  }

  /** Ends the thread (it finishes a checkpoint under way first). */
  async close(): Promise<void> {
    const w = this.worker;
    this.failed = true;
    if (!w) return;
    Atomics.store(this.state, 1, 1);
    Atomics.add(this.state, 0, 1);
    Atomics.notify(this.state, 0);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void w.terminate().then(() => resolve(), () => resolve()), 5000);
      w.once('exit', () => (clearTimeout(timer), resolve()));
    });
  }
}
