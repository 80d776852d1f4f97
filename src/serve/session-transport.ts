import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Logger } from '../core/log.js';
import { sendDirectly } from './direct-send.js';
import { SessionEventStore } from './event-store.js';
import { servePostDirectly } from './lean-post.js';
import { webRequest, writeWebResponse } from './node-web.js';
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
 * (node-web.ts), with the session's events kept in the session store.
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
  let batches = false; // a POST with several messages: its answers go through the SDK, which pairs them
  sendDirectly(transport, () => batches);
  return {
    transport,
    async handle(req, res, parsedBody) {
      const authInfo = req.auth;
      if (Array.isArray(parsedBody) && parsedBody.length > 1) batches = true;
      coalesceWrites(res);
      if (await servePostDirectly(transport, req, res, parsedBody, authInfo)) return;
      const response = await transport.handleRequest(webRequest(req), { parsedBody, ...(authInfo ? { authInfo } : {}) });
      await writeWebResponse(response, res);
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
 * — with a thousand calls in flight the sends were a tenth of the server's time. The socket is
 * corked, not the response: Node 22 holds a corked response's chunked writes in the response
 * itself and sends them only when the response's own cork count returns to zero, which a stream
 * that stays open (SSE) may never see — its events would not leave.
 */
function coalesceWrites(res: ServerResponse): void {
  let corked: ServerResponse['socket'] = null;
  const uncork = (): void => {
    const socket = corked;
    corked = null;
    socket?.uncork();
  };
  const cork = (): void => {
    const socket = res.socket;
    if (corked || !socket || res.writableEnded) return;
    corked = socket;
    socket.cork();
    setImmediate(uncork);
  };
  const write = res.write;
  res.write = function (this: ServerResponse, ...args: unknown[]): boolean {
    cork();
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  cork(); // the headers too, when they are flushed before any event
}
