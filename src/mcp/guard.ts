import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isPlainObject, JSON_DEPTH_MAX, measureJson, tryStringify } from '../core/json.js';
import type { Logger } from '../core/log.js';
import { invalidArguments } from './call.js';

/**
 * The most this server sends in one message. SDK clients close the connection on a message over
 * 10 MB (their stdio read buffer), losing the session: every answer stays well under that.
 */
export const MESSAGE_MAX_BYTES = 8 * 1024 * 1024;
/** Below this estimate a message is sent without measuring it exactly. */
const ESTIMATE_OK = 1024 * 1024;

type Id = string | number;

/**
 * Puts two guards around a connected transport: malformed `tools/call` requests get one clear
 * answer before the SDK's schema check turns them into a dump, and no outgoing message can grow
 * past MESSAGE_MAX_BYTES (a last resort: results and resources bound their own contents first).
 */
export function guardTransport(transport: Transport, log: Logger): void {
  const deliver = transport.onmessage;
  const send = transport.send.bind(transport);
  transport.onmessage = (message, extra) => {
    const answer = answerMalformedCall(message);
    if (answer) return void send(answer).catch((err: unknown) => log.debug(`could not answer a malformed call: ${(err as Error).message}`));
    deliver?.(message, extra);
  };
  transport.send = async (message, options) => {
    const capped = capOutgoing(message, log);
    if (capped) await send(capped, options);
  };
}

/** An answer for a tools/call whose params the SDK would reject with a zod dump, or whose arguments nest too deep. */
export function answerMalformedCall(message: JSONRPCMessage): JSONRPCMessage | null {
  const m = message as { method?: unknown; id?: Id; params?: unknown };
  if (m.method !== 'tools/call' || m.id === undefined) return null;
  const refuse = (why: string): JSONRPCMessage => ({ jsonrpc: '2.0', id: m.id!, error: { code: ErrorCode.InvalidParams, message: why } });
  if (!isPlainObject(m.params)) return refuse('tools/call needs params {"name": "<tool>", "arguments": {…}}; no tool was called.');
  const { name, arguments: args } = m.params;
  if (typeof name !== 'string') return refuse('tools/call: "name" must be the tool\'s name as a string; no tool was called.');
  if (args !== undefined && !isPlainObject(args)) {
    const kind = args === null ? 'null' : Array.isArray(args) ? 'an array' : `a ${typeof args}`;
    return refuse(`tools/call: "arguments" must be a JSON object of named arguments (like {"field": "value"}), not ${kind}; no tool was called.`);
  }
  if (args !== undefined && measureJson(args, { maxDepth: JSON_DEPTH_MAX }).over === 'depth') {
    const result = invalidArguments(name, [`(arguments): nested deeper than ${JSON_DEPTH_MAX} levels; send a flatter value`]);
    return { jsonrpc: '2.0', id: m.id, result } as JSONRPCMessage;
  }
  return null;
}

/** The message; an error answer in place of a result too big (or too deep) to send; null for such a notification. */
export function capOutgoing(message: JSONRPCMessage, log: Logger): JSONRPCMessage | null {
  const rough = measureJson(message, { maxDepth: 1000, maxBytes: ESTIMATE_OK });
  if (!rough.over) return message;
  const text = rough.over === 'depth' ? null : tryStringify(message);
  const bytes = text === null ? Number.POSITIVE_INFINITY : Buffer.byteLength(text, 'utf8');
  if (bytes <= MESSAGE_MAX_BYTES) return message;
  const m = message as { id?: Id; method?: string; result?: unknown };
  const size = text === null ? 'nested too deep to send' : `${(bytes / 1048576).toFixed(1)} MB`;
  log.warn(`an outgoing message was ${size}, over the ${MESSAGE_MAX_BYTES / 1048576} MB cap; ${m.id !== undefined ? 'answered with an error instead' : `${m.method ?? 'it'} was not sent`}`);
  if (m.id === undefined || m.method !== undefined) return null;
  return { jsonrpc: '2.0', id: m.id, error: { code: ErrorCode.InternalError, message: `The answer was ${size}, over the ${MESSAGE_MAX_BYTES / 1048576} MB this server sends in one message. Ask for less: a smaller page (limit), one run's resource, or a narrower search.` } };
}

/** How much of tools/list one page carries: a few platforms with big schemas must not push it past the cap. */
export const TOOLS_PAGE_BYTES = 4 * 1024 * 1024;

/** Where a page of `items` that starts at `start` ends: at most `maxCount` items and about `maxBytes` (one item at least). */
export function pageEnd(items: readonly unknown[], start: number, maxCount: number, maxBytes = TOOLS_PAGE_BYTES): number {
  let bytes = 0;
  let end = start;
  while (end < items.length && end - start < maxCount) {
    bytes += measureJson(items[end], { maxDepth: 1000 }).bytes;
    if (bytes > maxBytes && end > start) break;
    end++;
  }
  return end;
}
