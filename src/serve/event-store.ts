import type { ServerResponse } from 'node:http';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../core/log.js';
import type { SessionStore } from './session-store.js';

/** The SDK's name for a session's standalone (GET) stream. */
export const STANDALONE_STREAM = '_GET_stream';
const KEEP_ALIVE_MS = 15_000;
const BATCH = 200;

/**
 * The SDK transport's EventStore for one session: every SSE event it sends is kept in the
 * session store (bounded there), so a client can resume on any replica. `muted` while a
 * replica rebuilds the session: the replayed initialize answer is nobody's event.
 */
export class SessionEventStore implements EventStore {
  muted = false;
  /** Each stream's latest store still under way. */
  private readonly storing = new Map<string, Promise<string>>();

  constructor(private readonly store: SessionStore, private readonly sessionId: string, private readonly log: Logger) {}

  /**
   * Stores a stream's events one after another: the transport writes each event once its store
   * resolves, so they leave in the order they were sent. A shared store answers concurrent
   * appends out of order (a pool of connections, a prune now and then), which put a call's
   * "running" progress after its "completed" one, with a later event id.
   */
  storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    if (this.muted) return Promise.resolve('0');
    const before = this.storing.get(streamId);
    const stored = before ? before.then(() => this.append(streamId, message)) : this.append(streamId, message);
    this.storing.set(streamId, stored);
    void stored.then(() => {
      if (this.storing.get(streamId) === stored) this.storing.delete(streamId);
    });
    return stored;
  }

  private async append(streamId: string, message: JSONRPCMessage): Promise<string> {
    try {
      return await this.store.appendEvent(this.sessionId, streamId, message);
    } catch (err) {
      // The event still goes to a live stream; only its resumption is lost.
      this.log.warn(`http session ${this.sessionId.slice(0, 8)}: could not store an SSE event: ${(err as Error).message}`);
      return '0';
    }
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return (await this.store.streamOf(this.sessionId, eventId)) ?? undefined;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const streamId = await this.store.streamOf(this.sessionId, lastEventId);
    if (!streamId) return '';
    for (const e of await this.store.eventsAfter(this.sessionId, streamId, lastEventId, 10_000)) if (isMessage(e.message)) await send(e.id, e.message);
    return streamId;
  }
}

export interface FollowOptions {
  store: SessionStore;
  sessionId: string;
  streamId: string;
  /** Start after this event (a resume), or after the newest one (a new stream) when null. */
  afterId: string | null;
  log: Logger;
}

/**
 * Serves one SSE stream of a session from the store: what was stored after `afterId`, then every
 * new event as the store signals it — whichever replica produced it. A request's stream ends
 * with that request's answer; the standalone stream lasts until the client or session goes.
 * Returns a function that ends the stream.
 */
export function followStream(res: ServerResponse, o: FollowOptions): () => void {
  let cursor = o.afterId;
  let done = false;
  let pumping = false;
  let again = false;
  let started = false; // until the cursor is known, a wake-up must not replay the whole history
  const endsWithAnswer = o.streamId !== STANDALONE_STREAM;

  const finish = (): void => {
    if (done) return;
    done = true;
    unsubscribe();
    clearInterval(keepAlive);
    res.end();
  };
  const pump = async (): Promise<void> => {
    if (pumping) return void (again = true);
    pumping = true;
    try {
      do {
        again = false;
        for (let more = true; more && !done; ) {
          const batch = await o.store.eventsAfter(o.sessionId, o.streamId, cursor, BATCH);
          more = batch.length === BATCH;
          for (const e of batch) {
            if (done) return;
            cursor = e.id;
            if (!isMessage(e.message)) continue; // a priming event: its id was all it carried
            res.write(`event: message\nid: ${e.id}\ndata: ${JSON.stringify(e.message)}\n\n`);
            if (endsWithAnswer && isAnswer(e.message)) return finish();
          }
        }
      } while (again && !done);
    } catch (err) {
      o.log.warn(`http session ${o.sessionId.slice(0, 8)}: reading stored SSE events failed: ${(err as Error).message}`);
      finish();
    } finally {
      pumping = false;
    }
  };

  // Another stream's event (a call's progress, while this is the GET stream) is not this stream's news.
  const unsubscribe = o.store.onEvent(o.sessionId, (streamId) => void (started && (streamId === undefined || streamId === o.streamId) && pump()));
  const keepAlive = setInterval(() => res.write(': keepalive\n\n'), KEEP_ALIVE_MS);
  keepAlive.unref();
  res.on('close', finish);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no', 'mcp-session-id': o.sessionId });
  res.flushHeaders();
  const start = cursor === null ? o.store.lastEventId(o.sessionId).then((id) => void (cursor ??= id)) : Promise.resolve();
  start.then(() => ((started = true), pump()), (err: Error) => (o.log.warn(`http session ${o.sessionId.slice(0, 8)}: ${err.message}`), finish()));
  return finish;
}

function isMessage(m: JSONRPCMessage | Record<string, never>): m is JSONRPCMessage {
  return 'jsonrpc' in m;
}

function isAnswer(m: JSONRPCMessage): boolean {
  return 'id' in m && ('result' in m || 'error' in m);
}
