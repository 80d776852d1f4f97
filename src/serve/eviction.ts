/** What the eviction policy needs to know of a session held here. */
export interface EvictionCandidate {
  lastSeen: number;
  /** POSTs being answered now. */
  busy: number;
  /** Whether a client is listening on one of its GET streams (subscriptions, notifications). */
  streaming: boolean;
}

/**
 * At `http.maxSessions`, which session makes room for a new one: among those with no POST for at
 * least `minIdleMs` (and none in flight), the least recently used — one nobody listens to before
 * one with an open stream. None: the new client is answered 503, told to retry when the first
 * session becomes idle long enough.
 */
export function pickEviction(sessions: Iterable<[string, EvictionCandidate]>, minIdleMs: number, now: number): { victim: string | null; retryAfterSeconds: number } {
  let victim: { id: string; key: [number, number] } | null = null;
  let soonest = Number.POSITIVE_INFINITY;
  for (const [id, s] of sessions) {
    if (s.busy > 0) continue;
    soonest = Math.min(soonest, s.lastSeen + minIdleMs - now);
    if (now - s.lastSeen < minIdleMs) continue;
    const key: [number, number] = [s.streaming ? 1 : 0, s.lastSeen];
    if (!victim || key[0] < victim.key[0] || (key[0] === victim.key[0] && key[1] < victim.key[1])) victim = { id, key };
  }
  const retryAfterSeconds = Number.isFinite(soonest) ? Math.min(300, Math.max(1, Math.ceil(soonest / 1000))) : 30;
  return { victim: victim?.id ?? null, retryAfterSeconds };
}
