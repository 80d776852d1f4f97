import { WorkflowError } from './errors.js';

/** Resolves after `ms`, or rejects with `aborted` as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(signal?: AbortSignal): WorkflowError {
  const reason = signal?.reason;
  const why = typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : 'aborted';
  return new WorkflowError('aborted', `The operation was aborted (${why}).`);
}

/** One listener on each long-lived signal, fanned out to the callbacks registered here. */
const fanOuts = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` once when `signal` aborts; returns the unregister. For a signal that outlives many
 * callers (the server's `stopping`, one registration per call in flight): Node's
 * addEventListener and removeEventListener each walk every listener already on the signal, so a
 * listener per call cost O(calls in flight) per call — ~4 % of the server's time at 1,000.
 * Nothing happens for a signal that has already aborted (as with addEventListener).
 */
export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) return () => {};
  let callbacks = fanOuts.get(signal);
  if (!callbacks) {
    const set = new Set<() => void>();
    callbacks = set;
    fanOuts.set(signal, set);
    signal.addEventListener('abort', () => {
      fanOuts.delete(signal);
      for (const f of set) f();
      set.clear();
    }, { once: true });
  }
  const mine = callbacks;
  mine.add(fn);
  return () => void mine.delete(fn);
}

/**
 * An abort signal for cancellation that stays inside this server (waits, in-process runs, the
 * watch of a run, requests through undici, which takes any EventTarget). Why not AbortSignal:
 * Node 20 builds each one by re-prototyping an EventTarget, and such objects outlive the
 * young-generation GC that should free them (measured: a third of their bytes survive each
 * scavenge, with what they point to; on Node 22 they do not). Four per call made the scavenges
 * that set the sequential call's p99. A plain EventTarget subclass is freed as usual.
 * Hand out `realSignal()` where code may check for a real AbortSignal (a workflow's own code,
 * fetch, AbortSignal.any).
 */
class LocalSignal extends EventTarget {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((ev: Event) => unknown) | null = null;

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
}

export class LocalAbortController {
  private readonly local = new LocalSignal();
  private real: AbortController | null = null;
  /** Typed as AbortSignal for the code that takes one; not `instanceof AbortSignal`. */
  readonly signal = this.local as unknown as AbortSignal;

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    const s = this.local;
    if (s.aborted) return;
    s.aborted = true;
    s.reason = reason;
    this.real?.abort(reason);
    const event = new Event('abort');
    s.onabort?.(event);
    s.dispatchEvent(event);
  }

  /** A real AbortSignal that follows this one, made on first use. */
  realSignal(): AbortSignal {
    if (!this.real) {
      this.real = new AbortController();
      if (this.local.aborted) this.real.abort(this.local.reason);
    }
    return this.real.signal;
  }
}
