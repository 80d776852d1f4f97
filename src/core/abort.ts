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
