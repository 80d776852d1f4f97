import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCRequest, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { isPlainObject } from '../core/json.js';
import type { TransportInternals as SendInternals } from './direct-send.js';

/** What an SSE stream of the SDK 1.32.2 transport is written through (see writeSSEEvent). */
interface StreamWriter {
  enqueue(chunk: string): void;
  close(): void;
}

/** The SDK 1.32.2 transport's fields direct-send.ts reads, and those only this path uses. */
interface TransportInternals extends SendInternals {
  sessionId?: string;
  _initialized: boolean;
  writePrimingEvent(controller: StreamWriter, encoder: TextOnly, streamId: string, protocolVersion: string): Promise<void>;
  startKeepAlive(controller: StreamWriter, encoder: TextOnly): ReturnType<typeof setInterval> | undefined;
  closeSSEStream(requestId: RequestId): void;
  closeStandaloneSSEStream(): void;
}

/** The SDK encodes each event before it enqueues it; node:http takes the text as it is. */
interface TextOnly {
  encode(text: string): string;
}
const AS_TEXT: TextOnly = { encode: (text) => text };

/** `extra.requestInfo` as the SDK builds it, its URL made only when a handler reads it. */
class RequestInfo {
  private parsed: URL | undefined;
  constructor(readonly headers: IncomingHttpHeaders, private readonly href: string) {}
  get url(): URL {
    return (this.parsed ??= new URL(this.href));
  }
}

/**
 * Serves the common POST — one JSON-RPC request of an initialized session, SSE answer, event
 * store on — the way the SDK transport's handlePostRequest does (same headers, priming event,
 * stream registration, keep-alive, SEP-1699 close callbacks), minus the web Response: the SDK
 * builds a ReadableStream (transferable, so costly to make), a Response and its Headers per
 * POST, and node-web.ts then reads the stream back chunk by chunk. Here the stream's events go
 * to node:http as they are written. Anything else — batches, notifications, initialize, a header
 * the SDK would refuse, JSON mode — returns false and goes the SDK's way, which answers it or
 * says what is wrong.
 */
export async function servePostDirectly(transport: WebStandardStreamableHTTPServerTransport, req: IncomingMessage, res: ServerResponse, body: unknown, authInfo: AuthInfo | undefined): Promise<boolean> {
  const t = transport as unknown as TransportInternals;
  const version = req.headers['mcp-protocol-version'];
  if (req.method !== 'POST' || !isPlainRequest(body) || body.method === 'initialize' || !t._initialized || t._closed || t._enableJsonResponse || !t._eventStore) return false;
  if (t.sessionId === undefined || req.headers['mcp-session-id'] !== t.sessionId) return false;
  if (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version) || !acceptsBoth(req.headers.accept) || !isJson(req.headers['content-type'])) return false;

  const streamId = randomUUID();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const writer: StreamWriter = {
    // As the SDK's stream: writing to it once closed throws (the SDK catches it); a client that
    // left meanwhile is no error, its events are kept for a resume and written to nobody.
    enqueue(chunk) {
      if (closed) throw new Error('the SSE stream is closed');
      if (!res.destroyed && !res.writableEnded) res.write(chunk);
    },
    close() {
      closed = true;
      if (!res.writableEnded) res.end();
    },
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no', 'mcp-session-id': t.sessionId });
  res.flushHeaders(); // the client learns of the stream now
  // The client went away: as the SDK's stream cancel does, release the stream unless a resume replaced it.
  res.once('close', () => {
    if (keepAlive !== undefined) clearInterval(keepAlive);
    if (t._streamMapping.get(streamId)?.controller === writer) t._streamMapping.delete(streamId);
  });
  t._streamMapping.set(streamId, {
    controller: writer,
    encoder: AS_TEXT,
    cleanup: () => {
      if (keepAlive !== undefined) clearInterval(keepAlive);
      t._streamMapping.delete(streamId);
      writer.close();
    },
  });
  t._requestToStreamMapping.set(body.id, streamId);
  try {
    await t.writePrimingEvent(writer, AS_TEXT, streamId, version);
    const id = body.id;
    const resumable = version >= '2025-11-25';
    transport.onmessage?.(body, {
      ...(authInfo ? { authInfo } : {}),
      requestInfo: new RequestInfo(req.headers, `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`) as never,
      ...(resumable ? { closeSSEStream: () => t.closeSSEStream(id), closeStandaloneSSEStream: () => t.closeStandaloneSSEStream() } : {}),
    });
  } catch (err) {
    t._streamMapping.get(streamId)?.cleanup();
    t._resumableStreams.delete(streamId);
    t._requestToStreamMapping.delete(body.id);
    throw err;
  }
  if (t._streamMapping.get(streamId)?.controller === writer) keepAlive = t.startKeepAlive(writer, AS_TEXT);
  return true;
}

/** A JSON-RPC request the SDK's JSONRPCRequestSchema would take as it is (no other keys, a sound `_meta`). */
function isPlainRequest(m: unknown): m is JSONRPCRequest {
  if (!isPlainObject(m) || m['jsonrpc'] !== '2.0' || typeof m['method'] !== 'string') return false;
  const id = m['id'];
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isSafeInteger(id))) return false;
  for (const key in m) if (key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params') return false;
  const params = m['params'];
  if (params === undefined) return true;
  if (!isPlainObject(params)) return false;
  const meta = params['_meta'];
  if (meta === undefined) return true;
  if (!isPlainObject(meta)) return false;
  if (meta['io.modelcontextprotocol/related-task'] !== undefined) return false; // the SDK checks its shape
  const token = meta['progressToken'];
  return token === undefined || typeof token === 'string' || (typeof token === 'number' && Number.isSafeInteger(token));
}

function acceptsBoth(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/json') && accept.includes('text/event-stream');
}

/** Plain `application/json` (with parameters or not); any other spelling goes to the SDK's own parse. */
function isJson(contentType: string | undefined): boolean {
  return contentType === 'application/json' || (contentType !== undefined && contentType.startsWith('application/json;'));
}
