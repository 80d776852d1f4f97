import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../core/log.js';
import { SessionEventStore } from './event-store.js';
import type { SessionRecord, SessionStore } from './session-store.js';

const RESTORE_URL = 'http://restore.invalid/mcp';
const JSON_HEADERS = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };

export interface SessionTransport {
  /** What the MCP server connects to. */
  transport: WebStandardStreamableHTTPServerTransport;
  /** Serves one POST (or DELETE) of the session on node:http. */
  handle(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /**
   * Brings a fresh transport, and the server connected to it, to where the session stands after
   * `initialize`: the client's own initialize params are played into it again, unheard by anyone.
   * That is how a replica serves a session another replica opened.
   */
  restore(init: SessionRecord['init']): Promise<void>;
}

/**
 * The SDK's web-standard Streamable HTTP transport for one stateful session, on node:http
 * through the SDK's own Node adapter, with the session's events kept in the session store.
 * `onInitialized` runs before the client learns the new session's id (the record must exist
 * first, or the client's next request may reach a replica that has never heard of it).
 */
export function createSessionTransport(o: { id: string; store: SessionStore; log: Logger; onInitialized?: (id: string) => Promise<void> }): SessionTransport {
  const events = new SessionEventStore(o.store, o.id, o.log);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => o.id,
    eventStore: events,
    retryInterval: 2000,
    ...(o.onInitialized ? { onsessioninitialized: o.onInitialized } : {}),
  });
  sendNotesDirectly(transport);
  return {
    transport,
    async handle(req, res, parsedBody) {
      const authInfo = req.auth;
      coalesceWrites(res);
      const listener = getRequestListener((request) => transport.handleRequest(request, { parsedBody, ...(authInfo ? { authInfo } : {}) }), { overrideGlobalObjects: false });
      await listener(req, res);
    },
    async restore(init) {
      events.muted = true;
      try {
        const answer = await transport.handleRequest(new Request(RESTORE_URL, { method: 'POST', headers: JSON_HEADERS }), { parsedBody: { jsonrpc: '2.0', id: 0, method: 'initialize', params: init } });
        const text = await answer.text();
        if (!answer.ok || !text.includes('"result"')) throw new Error(`the session could not be restored (${answer.status})`);
        const headers = { ...JSON_HEADERS, 'mcp-session-id': o.id };
        await transport.handleRequest(new Request(RESTORE_URL, { method: 'POST', headers }), { parsedBody: { jsonrpc: '2.0', method: 'notifications/initialized' } });
      } finally {
        events.muted = false;
      }
    },
  };
}

/**
 * What one response writes within a loop turn leaves in one packet: a call's headers, priming
 * event and first progress; its last progress, result and end. One send where there were three
 * — with a thousand calls in flight the sends were a tenth of the server's time.
 */
function coalesceWrites(res: ServerResponse): void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    res.uncork();
  };
  const cork = (): void => {
    if (corked || res.writableEnded) return;
    corked = true;
    res.cork();
    setImmediate(uncork);
  };
  const write = res.write;
  res.write = function (this: ServerResponse, ...args: unknown[]): boolean {
    cork();
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  cork(); // the headers too, when they are flushed before any event
}

/** The SDK 1.32.2 transport's own fields this file relies on (pinned in package.json; the HTTP tests cover the path). */
interface TransportInternals {
  _requestToStreamMapping: Map<string | number, string>;
  _streamMapping: Map<string, { controller?: unknown; encoder?: unknown; replayedEventIds?: Set<string> }>;
  _resumableStreams: Set<string>;
  _eventStore?: { storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> };
  _enableJsonResponse: boolean;
  writeSSEEvent(controller: unknown, encoder: unknown, message: JSONRPCMessage, eventId?: string): boolean;
}

/**
 * A notification about a request (progress, a log line) takes the SDK's own path to that
 * request's stream — stored for a resume, then written — without the SDK's first step, which
 * asks two schemas whether the notification is an answer: both fail, and a failed parse builds
 * its error report. Two or three per call were ~5 % of the server's time under load. Anything
 * else (answers, the GET stream, JSON mode) goes through the SDK unchanged.
 */
function sendNotesDirectly(transport: WebStandardStreamableHTTPServerTransport): void {
  const t = transport as unknown as TransportInternals;
  const sdkSend = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage, options?: Parameters<typeof sdkSend>[1]): Promise<void> => {
    const requestId = options?.relatedRequestId;
    const streamId = requestId === undefined ? undefined : t._requestToStreamMapping.get(requestId);
    if (!('method' in message) || 'id' in message || !streamId || !t._eventStore || t._enableJsonResponse) return sdkSend(message, options);
    const eventId = await t._eventStore.storeEvent(streamId, message);
    const stream = t._streamMapping.get(streamId); // after the await: a resume may have replaced it
    if (!stream?.controller || !stream.encoder || stream.replayedEventIds?.has(eventId)) return;
    if (t.writeSSEEvent(stream.controller, stream.encoder, message, eventId)) t._resumableStreams.add(streamId);
  };
}
