import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../core/log.js';

/** The most one client message over stdio may hold (the SDK's own read buffer size). */
export const STDIO_MESSAGE_MAX = 10 * 1024 * 1024;
/** How much of an oversized line is kept to find its id: its start and its end. */
const KEEP = 4096;

type Id = string | number;
const VALUE = '("(?:[^"\\\\]|\\\\.)*"|-?\\d+)';
const LEADING = new RegExp(`^\\s*\\{\\s*(?:"jsonrpc"\\s*:\\s*"2\\.0"\\s*,\\s*)?(?:"id"\\s*:\\s*${VALUE}\\s*,\\s*)?"method"\\s*:\\s*"([^"]*)"`);
const TRAILING_ID = new RegExp(`"id"\\s*:\\s*${VALUE}\\s*\\}\\s*$`);

/**
 * MCP over stdin/stdout, one JSON-RPC message per line. Unlike the SDK's transport, a line over
 * STDIO_MESSAGE_MAX does not stop the server: it is skipped to its end, the request is answered
 * with a JSON-RPC error (its id is read from the line's first and last bytes), and the next line
 * is read as usual. stdout carries protocol frames only; a turn's answers share one write.
 */
export class StdioLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private chunks: Buffer[] = [];
  private size = 0;
  private oversized: { head: Buffer; tail: Buffer; bytes: number } | null = null;
  private started = false;
  private closed = false;
  /** Answers waiting for the end of this turn, and the promise their senders wait on. */
  private answers: string[] = [];
  private answersWritten: Promise<void> | null = null;

  constructor(
    private readonly stdin: NodeJS.ReadableStream = process.stdin,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly log?: Logger,
    private readonly maxBytes = STDIO_MESSAGE_MAX,
  ) {}

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioLineTransport already started');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStreamError);
  }

  /**
   * Answers sent together leave in one write, once the work in hand is done: a process.nextTick
   * queued from a promise job runs when no promise job is left (queued from elsewhere it would
   * run before them, hence the microtask first), so the answers of every call
   * resolved together — 32 runs committed in one journal transaction — share one write (one
   * syscall, not 32), in the same turn (setImmediate, from there, would wait a whole turn of
   * the loop). A notification is always a write of its own, after the
   * answers queued before it: the SDK client reads every line of a chunk at once, handles a
   * progress notification a promise job later and an answer at once, so a call's progress
   * read in the same chunk as its answer would be dropped ("unknown token"). Coalescing
   * notifications with answers lost the last steps' progress under load.
   */
  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const line = `${JSON.stringify(message)}\n`;
    if ('id' in message && ('result' in message || 'error' in message)) {
      this.answers.push(line);
      this.answersWritten ??= new Promise((resolve) => queueMicrotask(() => process.nextTick(() => resolve(this.writeAnswers()))));
      return this.answersWritten;
    }
    this.writeAnswers();
    await this.write(line);
  }

  /** Writes the answers queued so far, in one write; resolves once stdout can take more. */
  private writeAnswers(): Promise<void> {
    this.answersWritten = null;
    if (this.answers.length === 0) return Promise.resolve();
    const text = this.answers.length === 1 ? this.answers[0]! : this.answers.join('');
    this.answers = [];
    return this.write(text);
  }

  /** Writes now (stream order is send order); the promise waits only while stdout is full. */
  private write(text: string): Promise<void> {
    if (this.stdout.write(text)) return Promise.resolve();
    return new Promise<void>((resolve) => this.stdout.once('drain', resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    void this.writeAnswers();
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStreamError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.chunks = [];
    this.onclose?.();
  }

  private readonly onStreamError = (err: Error): void => this.onerror?.(err);

  private readonly onData = (chunk: Buffer | string): void => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let at = 0;
    while (at < data.length) {
      const nl = data.indexOf(0x0a, at);
      this.take(data.subarray(at, nl === -1 ? data.length : nl));
      if (nl === -1) return;
      this.endLine();
      at = nl + 1;
    }
  };

  private take(piece: Buffer): void {
    if (!piece.length) return;
    const o = this.oversized;
    if (o) {
      o.bytes += piece.length;
      o.tail = Buffer.from(Buffer.concat([o.tail, piece]).subarray(-KEEP));
      return;
    }
    if (this.size + piece.length <= this.maxBytes) {
      this.chunks.push(piece);
      this.size += piece.length;
      return;
    }
    // Over the cap: keep only the ends (enough to find the id) and skip the rest of the line.
    const all = Buffer.concat([...this.chunks, piece]);
    this.oversized = { head: Buffer.from(all.subarray(0, KEEP)), tail: Buffer.from(all.subarray(-KEEP)), bytes: all.length };
    this.chunks = [];
    this.size = 0;
  }

  private endLine(): void {
    const o = this.oversized;
    if (o) {
      this.oversized = null;
      return this.refuseOversized(o);
    }
    const line = Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.size = 0;
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.onerror?.(new Error('a line on stdin is not JSON'));
      return void this.send({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.ParseError, message: 'Parse error: a line on stdin was not JSON; send one JSON-RPC message per line.' } } as unknown as JSONRPCMessage);
    }
    if (isPlainMessage(json)) return void this.onmessage?.(json);
    const parsed = JSONRPCMessageSchema.safeParse(json);
    if (!parsed.success) {
      this.onerror?.(new Error('a message on stdin is not JSON-RPC 2.0'));
      const id = (json as { id?: unknown } | null)?.id;
      if (typeof id === 'string' || typeof id === 'number') void this.send({ jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message: 'Invalid Request: not a JSON-RPC 2.0 message.' } });
      return;
    }
    this.onmessage?.(parsed.data);
  }

  private refuseOversized(o: { head: Buffer; tail: Buffer; bytes: number }): void {
    const head = LEADING.exec(o.head.toString('utf8'));
    const mb = (o.bytes / 1048576).toFixed(1);
    const method = head?.[2];
    const rawId = head?.[1] ?? TRAILING_ID.exec(o.tail.toString('utf8'))?.[1];
    const id = rawId === undefined ? undefined : (JSON.parse(rawId) as Id);
    this.log?.warn(`a ${mb} MB message on stdin${method ? ` (${method})` : ''} is over the ${this.maxBytes / 1048576} MB limit; it was skipped${method && id !== undefined ? ' and answered with an error' : ''}`);
    if (!method || id === undefined) return; // a notification or an answer of ours: nobody waits for a reply
    void this.send({ jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message: `The message was ${mb} MB, over the ${this.maxBytes / 1048576} MB this server reads in one message over stdio; it was not processed. Pass files as paths (inside the allowed folders) rather than data: URLs or base64, and send large inputs in parts.` } });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The everyday messages — a request or notification whose params carry no `_meta`, a result
 * without `_meta` — checked exactly as JSONRPCMessageSchema would (`jsonrpc: "2.0"`, a string or
 * integer id, no other keys), without zod: a union parse for every message was a few per cent of
 * a call's CPU. Anything else (`_meta`, errors, whatever is wrong) goes through the schema.
 */
export function isPlainMessage(m: unknown): m is JSONRPCMessage {
  if (!isObject(m) || m['jsonrpc'] !== '2.0') return false;
  let keys = 1;
  if ('id' in m) {
    const id = m['id'];
    if (typeof id !== 'string' && !Number.isInteger(id)) return false;
    keys++;
  }
  if (typeof m['method'] === 'string') {
    keys++;
    if ('params' in m) {
      if (!isObject(m['params']) || '_meta' in m['params']) return false;
      keys++;
    }
  } else if ('result' in m) {
    if (!('id' in m) || !isObject(m['result']) || '_meta' in m['result']) return false;
    keys++;
  } else return false;
  return Object.keys(m).length === keys;
}
