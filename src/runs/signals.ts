import { isWorkflowError } from '../core/errors.js';

/** Waiters on runs other processes follow, by run key: a change signal wakes them at once. */
export class Nudges {
  private readonly byKey = new Map<string, Set<() => void>>();

  on(key: string, wake: () => void): () => void {
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.byKey.get(key) === set) this.byKey.delete(key);
    };
  }

  wake(key: string): void {
    for (const w of [...(this.byKey.get(key) ?? [])]) w();
  }

  /** Signals may have been lost (a reconnect): everyone reads again. */
  all(): void {
    for (const key of [...this.byKey.keys()]) this.wake(key);
  }
}

const RETRY_FIRST_MS = 250;
const RETRY_CAP_MS = 5000;
const RETRY_FOR_MS = 5 * 60_000;

/**
 * A journal write that waits out a lost database: retried with backoff while the error is a
 * connection error, for up to five minutes or until the tracker closes. Only writes are retried —
 * a run start never is, so no run starts twice.
 */
export async function retryWrite(write: () => Promise<void>, stopped: () => boolean): Promise<void> {
  const until = Date.now() + RETRY_FOR_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const lost = isWorkflowError(err) && err.code === 'connection';
      if (!lost || stopped() || Date.now() > until) throw err;
      const delay = Math.min(RETRY_CAP_MS, RETRY_FIRST_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
}
