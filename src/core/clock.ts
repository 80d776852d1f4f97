/** Injectable time, so pollers, heartbeats and retention can be tested without sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // Not unref'd: a pending wait must keep a one-shot CLI process alive until it resolves.
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};
