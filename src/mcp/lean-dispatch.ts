import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, type CallToolResult, type CreateTaskResult, type JSONRPCMessage, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

/** The SDK 1.32.2 Protocol's own handlers for each kind of message (the version is pinned; the MCP, HTTP and conformance tests cover this path). */
interface ProtocolInternals {
  _onrequest(message: JSONRPCMessage, extra?: MessageExtraInfo): void;
  _onnotification(message: JSONRPCMessage): void;
  _onresponse(message: JSONRPCMessage): void;
}

/**
 * Hands each incoming message to the Protocol's handler for its kind, told apart by its keys.
 * The SDK asks zod instead — is it an answer? an error? a request? — three parses per request,
 * two of them failing and building error reports, on a message its transport has already checked
 * against JSONRPCMessageSchema (ours: stdio-transport.ts; the SDK's HTTP transport parses every
 * message it delivers). A message whose kind its keys do not settle goes the SDK's way.
 * Returns what to call in place of `deliver`, the onmessage the SDK set on `transport`.
 */
export function dispatchByKind(server: Server, deliver: NonNullable<Transport['onmessage']>): NonNullable<Transport['onmessage']> {
  const p = server as unknown as ProtocolInternals;
  return (message, extra) => {
    const m = message as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    const answer = m.result !== undefined || m.error !== undefined;
    if (typeof m.method === 'string' && !answer) return m.id === undefined ? p._onnotification(message) : p._onrequest(message, extra);
    if (m.method === undefined && answer && m.id !== undefined) return p._onresponse(message);
    deliver(message, extra);
  };
}

type CallHandler = (request: ReturnType<typeof CallToolRequestSchema.parse>, extra: Parameters<Parameters<Server['setRequestHandler']>[1]>[1]) => Promise<CallToolResult | CreateTaskResult>;

/**
 * Registers the tools/call handler as the Protocol does for any method — its request parsed
 * once against CallToolRequestSchema — without the SDK Server's wrapper around tools/call, which
 * parses the request a second time and every result once more. Results are this server's own
 * (envelope.ts), never a client's.
 */
export function setCallToolHandler(server: Server, handler: CallHandler): void {
  (Protocol.prototype.setRequestHandler as (this: Server, schema: typeof CallToolRequestSchema, h: CallHandler) => void).call(server, CallToolRequestSchema, handler);
}
