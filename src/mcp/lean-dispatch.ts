import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ErrorCode, RELATED_TASK_META_KEY, type CallToolResult, type CreateTaskResult, type JSONRPCMessage, type JSONRPCRequest, type MessageExtraInfo, type ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { LocalAbortController } from '../core/abort.js';
import { isPlainObject } from '../core/json.js';

/** The SDK 1.32.2 Protocol's own handlers for each kind of message (the version is pinned; the MCP, HTTP and conformance tests cover this path). */
interface ProtocolInternals {
  _onrequest(message: JSONRPCMessage, extra?: MessageExtraInfo): void;
  _onnotification(message: JSONRPCMessage): void;
  _onresponse(message: JSONRPCMessage): void;
  _onerror(error: Error): void;
  /** What notifications/cancelled and a closed connection abort, by request id. */
  _requestHandlerAbortControllers: Map<unknown, { abort(reason?: unknown): void }>;
  _transport?: Transport;
  notification(notification: ServerNotification, options?: { relatedRequestId?: unknown }): Promise<void>;
  request: Server['request'];
}

/**
 * Hands each incoming message to the Protocol's handler for its kind, told apart by its keys.
 * The SDK asks zod instead — is it an answer? an error? a request? — three parses per request,
 * two of them failing and building error reports, on a message its transport has already checked
 * against JSONRPCMessageSchema (ours: stdio-transport.ts; the SDK's HTTP transport parses every
 * message it delivers). A plain tools/call is answered here (`answerCall`). A message whose kind
 * its keys do not settle goes the SDK's way.
 * Returns what to call in place of `deliver`, the onmessage the SDK set on `transport`.
 */
export function dispatchByKind(server: Server, deliver: NonNullable<Transport['onmessage']>): NonNullable<Transport['onmessage']> {
  const p = server as unknown as ProtocolInternals;
  return (message, extra) => {
    const m = message as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    const answer = m.result !== undefined || m.error !== undefined;
    if (typeof m.method === 'string' && !answer) {
      if (m.id === undefined) return p._onnotification(message);
      const onCall = m.method === 'tools/call' ? callHandlers.get(server) : undefined;
      return onCall && isPlainCall(message as JSONRPCRequest) ? answerCall(p, onCall, message as JSONRPCRequest, extra) : p._onrequest(message, extra);
    }
    if (m.method === undefined && answer && m.id !== undefined) return p._onresponse(message);
    deliver(message, extra);
  };
}

type CallHandler = (request: ReturnType<typeof CallToolRequestSchema.parse>, extra: Parameters<Parameters<Server['setRequestHandler']>[1]>[1]) => Promise<CallToolResult | CreateTaskResult>;

/**
 * Registers the tools/call handler as the Protocol does for any method — its request parsed
 * once against CallToolRequestSchema — without the SDK Server's wrapper around tools/call, which
 * parses the request a second time and every result once more. Results are this server's own
 * (envelope.ts), never a client's. The same handler answers dispatchByKind's plain calls.
 */
export function setCallToolHandler(server: Server, handler: CallHandler): void {
  (Protocol.prototype.setRequestHandler as (this: Server, schema: typeof CallToolRequestSchema, h: CallHandler) => void).call(server, CallToolRequestSchema, handler);
  callHandlers.set(server, handler);
}

const callHandlers = new WeakMap<Server, CallHandler>();

/** A tools/call that is not about a task, with a name and (if any) object arguments and _meta. */
function isPlainCall(r: JSONRPCRequest): boolean {
  const params = r.params;
  if (!isPlainObject(params) || typeof params['name'] !== 'string' || params['task'] !== undefined) return false;
  const args = params['arguments'];
  const meta = params['_meta'];
  return (args === undefined || isPlainObject(args)) && (meta === undefined || (isPlainObject(meta) && meta[RELATED_TASK_META_KEY] === undefined));
}

/**
 * Answers a plain tools/call as the SDK Protocol's `_onrequest` does — registered for
 * notifications/cancelled and a closed connection, the same `extra`, the same answer and error
 * shapes — with a LocalAbortController, not an AbortController (core/abort.ts: on Node 20 each
 * AbortSignal outlives the young-generation GC), and without parsing the request with zod again
 * (isPlainCall checked what the handler reads). Anything else goes the SDK's way.
 */
function answerCall(p: ProtocolInternals, onCall: CallHandler, request: JSONRPCRequest, extra?: MessageExtraInfo): void {
  const transport = p._transport;
  const { id } = request;
  const stop = new LocalAbortController();
  p._requestHandlerAbortControllers.set(id, stop);
  const full = {
    signal: stop.signal,
    sessionId: transport?.sessionId,
    _meta: request.params?._meta,
    sendNotification: async (n: ServerNotification) => (stop.signal.aborted ? undefined : p.notification(n, { relatedRequestId: id })),
    sendRequest: ((r, schema, options) => p.request(r, schema, Object.assign({}, options, { relatedRequestId: id }))) as Server['request'],
    authInfo: extra?.authInfo,
    requestId: id,
    requestInfo: extra?.requestInfo,
    closeSSEStream: extra?.closeSSEStream,
    closeStandaloneSSEStream: extra?.closeStandaloneSSEStream,
  };
  Promise.resolve()
    .then(() => onCall(request as unknown as Parameters<CallHandler>[0], full as unknown as Parameters<CallHandler>[1]))
    .then(
      (result) => (stop.signal.aborted ? undefined : transport?.send({ result, jsonrpc: '2.0', id })),
      (error: { code?: unknown; message?: string; data?: unknown }) => {
        if (stop.signal.aborted) return undefined;
        const code = Number.isSafeInteger(error.code) ? (error.code as number) : ErrorCode.InternalError;
        return transport?.send({ jsonrpc: '2.0', id, error: { code, message: error.message ?? 'Internal error', ...(error.data !== undefined ? { data: error.data } : {}) } });
      },
    )
    .catch((error: unknown) => p._onerror(new Error(`Failed to send response: ${String(error)}`)))
    .finally(() => {
      if (p._requestHandlerAbortControllers.get(id) === stop) p._requestHandlerAbortControllers.delete(id);
    });
}
