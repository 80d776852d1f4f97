import { EventEmitter } from 'node:events';
import type { InitializeRequest, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../mcp/principal.js';

/**
 * What any replica needs to serve a Streamable HTTP session it did not open: who opened it and
 * what the client said in `initialize`. Everything here serialises; live SSE responses do not
 * and stay with the process that holds them.
 */
export interface SessionRecord {
  id: string;
  /** Who opened it (plain data); another principal must not use it. */
  principal: Principal;
  /** The client's initialize params: protocol version, capabilities, client info. */
  init: InitializeRequest['params'];
  /** Epoch ms of the last request seen for it on any replica (updated at most every `TOUCH_EVERY_MS`). */
  lastSeen: number;
}

/** One SSE event of a session, as sent: its id is what the client sends back as Last-Event-ID. */
export interface StoredEvent {
  id: string;
  streamId: string;
  message: JSONRPCMessage;
}

/** A client's `notifications/cancelled` for one of its requests, as every replica hears it. */
export interface CancelledRequest {
  sessionId: string;
  requestId: string | number;
  reason?: string;
}

/** Events kept per session; the oldest go first, so no session grows without limit. */
export const EVENTS_PER_SESSION = 2000;
/** How often a busy session's last-seen time is written (idle expiry is counted in minutes). */
export const TOUCH_EVERY_MS = 30_000;

/**
 * Sessions and their SSE event history, wherever they are kept: in this process (one server),
 * or in PostgreSQL shared by replicas. `http.ts` asks nothing else and never which one it has.
 */
export interface SessionStore {
  /** "memory" or "postgres", for /healthz. */
  readonly kind: string;
  create(record: SessionRecord): Promise<void>;
  get(id: string): Promise<SessionRecord | null>;
  touch(id: string, at: number): Promise<void>;
  /** Ends a session everywhere: its record and events go, and every replica hears of it. */
  end(id: string): Promise<boolean>;
  /** Ends the sessions nobody used since `cutoff` (epoch ms); returns how many. */
  expire(cutoff: number): Promise<number>;
  /** Called with the id of every session that ends, here or on another replica. */
  onEnded(listener: (id: string) => void): () => void;
  /** Tells every replica (this one too) that the client cancelled a request: the one running it stops it. */
  cancelRequest(c: CancelledRequest): Promise<void>;
  onCancelRequest(listener: (c: CancelledRequest) => void): () => void;

  appendEvent(sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string>;
  /** The stream an event belongs to, when it is one of this session's (else null). */
  streamOf(sessionId: string, eventId: string): Promise<string | null>;
  /** Events of one stream after `afterId` (all when null), oldest first. */
  eventsAfter(sessionId: string, streamId: string, afterId: string | null, limit: number): Promise<StoredEvent[]>;
  /** The newest event id of the session, so a new live stream starts after it. */
  lastEventId(sessionId: string): Promise<string | null>;
  /**
   * Called when the session gets a new event anywhere (read it with `eventsAfter`); with the
   * event's stream when the store knows it, so a reader of another stream need not look.
   */
  onEvent(sessionId: string, listener: (streamId?: string) => void): () => void;
  close(): Promise<void>;
}

interface MemorySession {
  record: SessionRecord;
  /** Every kept event, oldest first (ids only grow); those before `head` are gone. */
  events: StoredEvent[];
  head: number;
  /** The same events by stream, oldest first, and by id: a stream's reader never scans the others'. */
  byStream: Map<string, StoredEvent[]>;
  byId: Map<string, StoredEvent>;
}

/**
 * The embedded store: one process, everything in memory (today's behaviour). Reads cost what they
 * return: with a thousand calls in flight on one session, every event wakes the session's GET
 * stream, which must not scan the other streams' events each time.
 */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, MemorySession>();
  private readonly signals = new EventEmitter().setMaxListeners(0);
  private seq = 0;

  constructor(private readonly maxEvents = EVENTS_PER_SESSION) {}

  async create(record: SessionRecord): Promise<void> {
    this.sessions.set(record.id, { record: { ...record }, events: [], head: 0, byStream: new Map(), byId: new Map() });
  }

  async get(id: string): Promise<SessionRecord | null> {
    const s = this.sessions.get(id);
    return s ? { ...s.record } : null;
  }

  async touch(id: string, at: number): Promise<void> {
    const s = this.sessions.get(id);
    if (s) s.record.lastSeen = Math.max(s.record.lastSeen, at);
  }

  async end(id: string): Promise<boolean> {
    if (!this.sessions.delete(id)) return false;
    this.signals.emit('ended', id);
    return true;
  }

  async expire(cutoff: number): Promise<number> {
    const idle = [...this.sessions.values()].filter((s) => s.record.lastSeen < cutoff).map((s) => s.record.id);
    for (const id of idle) await this.end(id);
    return idle.length;
  }

  onEnded(listener: (id: string) => void): () => void {
    this.signals.on('ended', listener);
    return () => void this.signals.off('ended', listener);
  }

  async cancelRequest(c: CancelledRequest): Promise<void> {
    this.signals.emit('cancel', c);
  }

  onCancelRequest(listener: (c: CancelledRequest) => void): () => void {
    this.signals.on('cancel', listener);
    return () => void this.signals.off('cancel', listener);
  }

  async appendEvent(sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = String(++this.seq);
    const s = this.sessions.get(sessionId);
    if (!s) return id; // the session ended meanwhile: nothing will read it
    const event: StoredEvent = { id, streamId, message };
    s.events.push(event);
    s.byId.set(id, event);
    const stream = s.byStream.get(streamId);
    if (stream) stream.push(event);
    else s.byStream.set(streamId, [event]);
    while (s.events.length - s.head > this.maxEvents) dropOldest(s);
    if (s.head > this.maxEvents) (s.events = s.events.slice(s.head)), (s.head = 0);
    this.signals.emit(`event:${sessionId}`, streamId);
    return id;
  }

  async streamOf(sessionId: string, eventId: string): Promise<string | null> {
    return this.sessions.get(sessionId)?.byId.get(eventId)?.streamId ?? null;
  }

  async eventsAfter(sessionId: string, streamId: string, afterId: string | null, limit: number): Promise<StoredEvent[]> {
    const events = this.sessions.get(sessionId)?.byStream.get(streamId);
    if (!events) return [];
    const after = afterId === null ? 0 : Number(afterId);
    // Ids are increasing numbers: the first one past `after` by halving.
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Number(events[mid]!.id) > after) hi = mid;
      else lo = mid + 1;
    }
    return events.slice(lo, lo + limit);
  }

  async lastEventId(sessionId: string): Promise<string | null> {
    const s = this.sessions.get(sessionId);
    return s && s.events.length > s.head ? s.events[s.events.length - 1]!.id : null;
  }

  onEvent(sessionId: string, listener: (streamId?: string) => void): () => void {
    this.signals.on(`event:${sessionId}`, listener);
    return () => void this.signals.off(`event:${sessionId}`, listener);
  }

  async close(): Promise<void> {
    this.sessions.clear();
    this.signals.removeAllListeners();
  }
}

/** The session's oldest event leaves (it is also the oldest of its stream). */
function dropOldest(s: MemorySession): void {
  const gone = s.events[s.head++]!;
  s.byId.delete(gone.id);
  const stream = s.byStream.get(gone.streamId)!;
  stream.shift();
  if (stream.length === 0) s.byStream.delete(gone.streamId);
}
