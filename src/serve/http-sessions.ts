import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../core/log.js';
import type { Principal } from '../mcp/principal.js';
import { createMcpServer, type McpConnection } from '../mcp/server.js';
import type { McpDeps } from '../mcp/tool.js';
import { requestStream } from './direct-send.js';
import { followStream, STANDALONE_STREAM } from './event-store.js';
import { TOUCH_EVERY_MS, type CancelledRequest, type SessionRecord, type SessionStore } from './session-store.js';
import { createSessionTransport, type SessionTransport } from './session-transport.js';

/** This replica's live copy of a session: its transport and MCP server, rebuilt from the record on any replica. */
export interface LocalSession {
  id: string;
  /** Who opened the session (from its record); only that principal may use it. */
  principal: Principal;
  transport: SessionTransport;
  connection: McpConnection;
  /** Last request here (the store's last-seen is written at most every TOUCH_EVERY_MS). */
  lastSeen: number;
  touchedAt: number;
  /** POSTs being answered here now (a busy session is not evicted). */
  busy: number;
}

/**
 * The stateful sessions as this replica sees them: records in the session store (shared by
 * replicas, or this process's own), and a local copy — transport plus MCP server — made on first
 * use here and kept while the session lives. Ending a session ends it everywhere; SSE streams
 * the client opens with GET are served from the store, so events made on any replica reach them.
 */
export class HttpSessions {
  private readonly local = new Map<string, LocalSession>();
  private readonly restoring = new Map<string, Promise<LocalSession | null>>();
  private readonly streams = new Map<string, Set<() => void>>();
  private readonly stops: Array<() => void>;

  constructor(private readonly o: { deps: McpDeps; store: SessionStore; log: Logger }) {
    this.stops = [o.store.onEnded((id) => void this.closeLocal(id)), o.store.onCancelRequest((c) => this.cancelHere(c))];
  }

  /** Local copies, for limits and /healthz. */
  get size(): number {
    return this.local.size;
  }

  /** Whether a client listens on one of this session's GET streams here (a live session, even without POSTs). */
  streaming(id: string): boolean {
    return (this.streams.get(id)?.size ?? 0) > 0;
  }

  /** Local copies by id with their last use here, for an eviction policy. */
  entries(): IterableIterator<[string, LocalSession]> {
    return this.local.entries();
  }

  /** A new session for an initialize request; its record is written before the client hears of it. */
  async open(init: SessionRecord['init'], principal: Principal): Promise<LocalSession> {
    const id = randomUUID();
    const now = Date.now();
    const transport = createSessionTransport({
      id, store: this.o.store, log: this.o.log,
      onInitialized: () => this.o.store.create({ id, principal, init, lastSeen: now }),
    });
    const session = await this.attach(id, principal, transport);
    this.o.log.debug(`http session ${id.slice(0, 8)} opened (${this.local.size} here)`);
    return session;
  }

  /**
   * The session with this id: the local copy, else one rebuilt from its record (opened on another
   * replica, or before this copy was let go); null when no such session lives anywhere.
   * Another principal's session is null too: it learns nothing, not even that the session exists.
   * `admit` decides whether a new local copy may be made (false: the caller answers 503).
   */
  async find(id: string, principal: Principal, admit: () => boolean): Promise<LocalSession | 'full' | null> {
    const hit = this.local.get(id);
    if (hit) return this.mine(id, hit.principal, principal) ? hit : null;
    let pending = this.restoring.get(id);
    if (!pending) {
      const record = await this.o.store.get(id);
      if (!record || !this.mine(id, record.principal, principal)) return null;
      if (this.local.has(id)) return this.local.get(id)!;
      if (!admit()) return 'full';
      pending = this.restore(record).finally(() => this.restoring.delete(id));
      this.restoring.set(id, pending);
    }
    const restored = await pending;
    return restored && this.mine(id, restored.principal, principal) ? restored : null;
  }

  /** Whether a session lives anywhere (a GET needs no local copy: it reads the store). */
  async exists(id: string, principal: Principal): Promise<boolean> {
    const owner = this.local.get(id)?.principal ?? (await this.o.store.get(id))?.principal;
    return owner !== undefined && this.mine(id, owner, principal);
  }

  private mine(id: string, owner: Principal, principal: Principal): boolean {
    if (owner.id === principal.id) return true;
    this.o.log.warn(`http session ${id.slice(0, 8)}: refused a request made with another principal's credentials (answered 404, as for an unknown session)`);
    return false;
  }

  /** Marks a request; the store hears of it now and then, which keeps the session from expiring. */
  seen(s: LocalSession): void {
    const now = Date.now();
    s.lastSeen = now;
    if (now - s.touchedAt < TOUCH_EVERY_MS) return;
    s.touchedAt = now;
    this.o.store.touch(s.id, now).catch((err: Error) => this.o.log.warn(`http session ${s.id.slice(0, 8)}: could not record its use: ${err.message}`));
  }

  /**
   * The client's `notifications/cancelled` in this POST go to every replica: the request may be
   * running on another one (the balancer sent the call there), and only that one can stop it.
   */
  relayCancels(s: LocalSession, body: unknown): void {
    for (const m of Array.isArray(body) ? body : [body]) {
      const c = cancelledIn(s.id, m);
      if (c) this.o.store.cancelRequest(c).catch((err: Error) => this.o.log.warn(`http session ${s.id.slice(0, 8)}: could not pass a cancel on to the other replicas: ${err.message}`));
    }
  }

  /** A cancel heard from any replica: as if the client had sent it here (a request not running here is ignored by the SDK). */
  private cancelHere(c: CancelledRequest): void {
    const s = this.local.get(c.sessionId);
    s?.transport.transport.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: c.requestId, ...(c.reason === undefined ? {} : { reason: c.reason }) } });
  }

  /** Serves a GET: the standalone stream, or a resumed one after `lastEventId`. False: unknown event id. */
  async follow(res: ServerResponse, id: string, lastEventId: string | undefined): Promise<boolean> {
    const streamId = lastEventId === undefined ? STANDALONE_STREAM : await this.o.store.streamOf(id, lastEventId);
    if (streamId === null) return false;
    const set = this.streams.get(id) ?? new Set<() => void>();
    this.streams.set(id, set);
    const end = followStream(res, { store: this.o.store, sessionId: id, streamId, afterId: lastEventId ?? null, log: this.o.log });
    set.add(end);
    res.on('close', () => {
      set.delete(end);
      if (set.size === 0 && this.streams.get(id) === set) this.streams.delete(id);
    });
    return true;
  }

  /** Ends a session everywhere (DELETE, eviction). */
  async end(id: string): Promise<boolean> {
    const closing = this.closeLocal(id); // at once here (synchronously gone from the map); other replicas hear it from the store
    const ended = await this.o.store.end(id);
    await closing;
    return ended;
  }

  /** Ends the sessions idle since before `cutoff` on every replica, and lets go of local copies of ended ones. */
  async sweep(idleMs: number): Promise<void> {
    const cutoff = Date.now() - idleMs;
    const n = await this.o.store.expire(cutoff);
    if (n) this.o.log.debug(`${n} idle http sessions expired`);
    for (const [id, s] of this.local) if (s.lastSeen < cutoff && (await this.o.store.get(id)) === null) await this.closeLocal(id);
  }

  /** Closes this replica's copies; the sessions live on in the store for the other replicas. */
  async close(): Promise<void> {
    for (const stop of this.stops) stop();
    await Promise.all([...this.local.keys(), ...this.streams.keys()].map((id) => this.closeLocal(id)));
  }

  private async restore(record: SessionRecord): Promise<LocalSession | null> {
    const transport = createSessionTransport({ id: record.id, store: this.o.store, log: this.o.log });
    const session = await this.attach(record.id, record.principal, transport, async () => transport.restore(record.init));
    this.o.log.debug(`http session ${record.id.slice(0, 8)} served here too (${this.local.size} here)`);
    return session;
  }

  private async attach(id: string, principal: Principal, transport: SessionTransport, ready?: () => Promise<void>): Promise<LocalSession> {
    const connection = createMcpServer(this.o.deps, { principal, streamOf: (requestId) => requestStream(transport.transport, requestId) });
    const now = Date.now();
    const session: LocalSession = { id, principal, transport, connection, lastSeen: now, touchedAt: now, busy: 0 };
    transport.transport.onclose = () => void (this.local.get(id) === session && this.local.delete(id));
    await connection.connect(transport.transport);
    try {
      await ready?.();
    } catch (err) {
      await connection.close().catch(() => {});
      throw err;
    }
    this.local.set(id, session);
    return session;
  }

  private async closeLocal(id: string): Promise<void> {
    for (const end of this.streams.get(id) ?? []) end();
    this.streams.delete(id);
    const s = this.local.get(id);
    if (!s) return;
    this.local.delete(id);
    await s.connection.close().catch(() => {});
    this.o.log.debug(`http session ${id.slice(0, 8)} closed here (${this.local.size} here)`);
  }
}

/** A request id that long is no id a client uses; it is not passed on. */
const REQUEST_ID_MAX = 200;

function cancelledIn(sessionId: string, m: unknown): CancelledRequest | null {
  if (typeof m !== 'object' || m === null || (m as { method?: unknown }).method !== 'notifications/cancelled') return null;
  const params = (m as { params?: { requestId?: unknown; reason?: unknown } }).params;
  const requestId = params?.requestId;
  if (!((typeof requestId === 'string' && requestId.length <= REQUEST_ID_MAX) || (typeof requestId === 'number' && Number.isFinite(requestId)))) return null;
  return { sessionId, requestId, ...(typeof params?.reason === 'string' ? { reason: params.reason } : {}) };
}
