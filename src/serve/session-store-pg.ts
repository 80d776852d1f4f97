import { EventEmitter } from 'node:events';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Database } from '../state/database.js';
import { EVENTS_PER_SESSION, type CancelledRequest, type SessionRecord, type SessionStore, type StoredEvent } from './session-store.js';

/** Bounding a session's events costs a DELETE: done every this many events per session. */
const PRUNE_EVERY = 100;
/** A cancel's reason travels in a NOTIFY payload (at most 8,000 bytes): it is cut to this. */
const REASON_MAX = 500;

interface SessionRow {
  id: string;
  principal: string;
  init: string;
  last_seen_ms: string;
}

/**
 * Sessions and their SSE events in PostgreSQL, shared by every replica. A new event and an
 * ended session are announced with NOTIFY in the statement that writes them, so a stream held
 * by another replica hears of an event at once; events go with their session (foreign key).
 */
export class PgSessionStore implements SessionStore {
  readonly kind = 'postgres';
  private readonly signals = new EventEmitter().setMaxListeners(0);
  private readonly appended = new Map<string, number>();
  private readonly stops: Array<() => void> = [];
  private readonly endedChannel: string;
  private readonly eventChannel: string;
  private readonly cancelChannel: string;

  private constructor(private readonly db: Database) {
    this.endedChannel = db.channel('wm_session_ended');
    this.eventChannel = db.channel('wm_session_event');
    this.cancelChannel = db.channel('wm_session_cancel');
  }

  static async open(db: Database): Promise<PgSessionStore> {
    const store = new PgSessionStore(db);
    store.stops.push(await db.listener.listen(store.endedChannel, (id) => {
      store.appended.delete(id);
      store.signals.emit('ended', id);
    }));
    store.stops.push(await db.listener.listen(store.eventChannel, (id) => store.signals.emit(`event:${id}`)));
    store.stops.push(await db.listener.listen(store.cancelChannel, (payload) => {
      const c = cancelOf(payload);
      if (c) store.signals.emit('cancel', c);
    }));
    // Notifications sent while the LISTEN connection was down are lost: every stream reads again.
    store.stops.push(db.listener.onReconnect(() => {
      for (const name of store.signals.eventNames()) if (typeof name === 'string' && name.startsWith('event:')) store.signals.emit(name);
    }));
    return store;
  }

  async create(r: SessionRecord): Promise<void> {
    await this.db.pool.query('INSERT INTO mcp_sessions (id, principal, init, last_seen) VALUES ($1, $2, $3, to_timestamp($4 / 1000.0))', [r.id, JSON.stringify(r.principal), JSON.stringify(r.init), r.lastSeen]);
  }

  async get(id: string): Promise<SessionRecord | null> {
    const { rows } = await this.db.pool.query<SessionRow>('SELECT id, principal, init, (extract(epoch FROM last_seen) * 1000)::bigint::text AS last_seen_ms FROM mcp_sessions WHERE id = $1', [id]);
    const row = rows[0];
    return row ? { id: row.id, principal: JSON.parse(row.principal) as SessionRecord['principal'], init: JSON.parse(row.init) as SessionRecord['init'], lastSeen: Number(row.last_seen_ms) } : null;
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.pool.query('UPDATE mcp_sessions SET last_seen = greatest(last_seen, to_timestamp($2 / 1000.0)) WHERE id = $1', [id, at]);
  }

  async end(id: string): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('WITH gone AS (DELETE FROM mcp_sessions WHERE id = $1 RETURNING id) SELECT pg_notify($2, id) FROM gone', [id, this.endedChannel]);
    return (rowCount ?? 0) > 0;
  }

  async expire(cutoff: number): Promise<number> {
    const { rowCount } = await this.db.pool.query('WITH gone AS (DELETE FROM mcp_sessions WHERE last_seen < to_timestamp($1 / 1000.0) RETURNING id) SELECT pg_notify($2, id) FROM gone', [cutoff, this.endedChannel]);
    return rowCount ?? 0;
  }

  onEnded(listener: (id: string) => void): () => void {
    this.signals.on('ended', listener);
    return () => void this.signals.off('ended', listener);
  }

  async cancelRequest(c: CancelledRequest): Promise<void> {
    const payload = { s: c.sessionId, r: c.requestId, ...(c.reason === undefined ? {} : { why: c.reason.slice(0, REASON_MAX) }) };
    await this.db.pool.query('SELECT pg_notify($1, $2)', [this.cancelChannel, JSON.stringify(payload)]);
  }

  onCancelRequest(listener: (c: CancelledRequest) => void): () => void {
    this.signals.on('cancel', listener);
    return () => void this.signals.off('cancel', listener);
  }

  async appendEvent(sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string> {
    let seq: string;
    try {
      const { rows } = await this.db.pool.query<{ seq: string }>(
        'WITH e AS (INSERT INTO mcp_events (session_id, stream_id, message) VALUES ($1, $2, $3) RETURNING seq) SELECT seq::text AS seq, pg_notify($4, $1) FROM e',
        [sessionId, streamId, JSON.stringify(message), this.eventChannel],
      );
      seq = rows[0]!.seq;
    } catch (err) {
      if ((err as { code?: string }).code === '23503') return '0'; // the session ended meanwhile: nothing will read it
      throw err;
    }
    const n = (this.appended.get(sessionId) ?? 0) + 1;
    this.appended.set(sessionId, n % PRUNE_EVERY);
    if (n >= PRUNE_EVERY) await this.prune(sessionId);
    return seq;
  }

  async streamOf(sessionId: string, eventId: string): Promise<string | null> {
    if (!/^[1-9]\d{0,18}$/.test(eventId)) return null;
    const { rows } = await this.db.pool.query<{ stream_id: string }>('SELECT stream_id FROM mcp_events WHERE seq = $1 AND session_id = $2', [eventId, sessionId]);
    return rows[0]?.stream_id ?? null;
  }

  async eventsAfter(sessionId: string, streamId: string, afterId: string | null, limit: number): Promise<StoredEvent[]> {
    const { rows } = await this.db.pool.query<{ id: string; message: string }>(
      'SELECT seq::text AS id, message FROM mcp_events WHERE session_id = $1 AND stream_id = $2 AND seq > $3 ORDER BY seq LIMIT $4',
      [sessionId, streamId, afterId ?? '0', limit],
    );
    return rows.map((r) => ({ id: r.id, streamId, message: JSON.parse(r.message) as JSONRPCMessage }));
  }

  async lastEventId(sessionId: string): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ id: string | null }>('SELECT max(seq)::text AS id FROM mcp_events WHERE session_id = $1', [sessionId]);
    return rows[0]?.id ?? null;
  }

  onEvent(sessionId: string, listener: () => void): () => void {
    this.signals.on(`event:${sessionId}`, listener);
    return () => void this.signals.off(`event:${sessionId}`, listener);
  }

  async close(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    this.signals.removeAllListeners();
  }

  /** Keeps the newest EVENTS_PER_SESSION events of a session. */
  private async prune(sessionId: string): Promise<void> {
    await this.db.pool.query(
      'DELETE FROM mcp_events WHERE session_id = $1 AND seq <= (SELECT seq FROM mcp_events WHERE session_id = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1)',
      [sessionId, EVENTS_PER_SESSION],
    );
  }
}


function cancelOf(payload: string): CancelledRequest | null {
  try {
    const p = JSON.parse(payload) as { s?: unknown; r?: unknown; why?: unknown };
    if (typeof p.s !== 'string' || (typeof p.r !== 'string' && typeof p.r !== 'number')) return null;
    return { sessionId: p.s, requestId: p.r, ...(typeof p.why === 'string' ? { reason: p.why } : {}) };
  } catch {
    return null;
  }
}
