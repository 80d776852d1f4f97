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

/**
 * Resolves when `p` settles or after `ms`, whichever is first (on real time, and without holding
 * the process open): for waits that must not hang on a store that stopped answering.
 */
export async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)).unref());
  try {
    await Promise.race([p.then(() => {}, () => {}), late]);
  } finally {
    clearTimeout(timer); // not left in the timer list for `ms` after every call
  }
}
