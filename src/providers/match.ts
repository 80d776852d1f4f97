import { isPlainObject, stableStringify } from '../core/json.js';

/** How far the platform's clock may run behind ours when a run's start is compared with a call's. */
export const CLOCK_SKEW_MS = 30_000;

/**
 * True when the platform's copy of a run's input holds every field we sent, unchanged (fields
 * the platform added — its defaults — are ignored, and so are `skip`: files, our own arguments).
 */
export function inputMatches(sent: unknown, received: unknown, skip: readonly string[] = []): boolean {
  if (!isPlainObject(sent)) return stableStringify(sent ?? {}) === stableStringify(received ?? {});
  if (!isPlainObject(received)) return Object.keys(sent).every((k) => skip.includes(k));
  return Object.entries(sent).every(([k, v]) => skip.includes(k) || v === undefined || stableStringify(v) === stableStringify(received[k]));
}

/** True when a run the platform dates `at` (ISO) may have been started by a call made at `since`. */
export function startedSince(at: string | null | undefined, since: string): boolean {
  const t = at ? Date.parse(at) : NaN;
  return Number.isFinite(t) && t >= Date.parse(since) - CLOCK_SKEW_MS;
}
