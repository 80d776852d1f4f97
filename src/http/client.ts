import { Agent, request, type Dispatcher, type FormData } from 'undici';
import type { z } from 'zod';
import { sleep } from '../core/abort.js';
import { bufferedRequest, type BufferedFailure } from './buffered.js';
import type { Logger } from '../core/log.js';
import { ProviderError } from './errors.js';
import type { RateGate } from './gate.js';
import { backoffMs, NOT_SENT, retryAfterMs } from './retry.js';

let shared: Agent | null = null;
let streamPool: Agent | null = null;
/** One keep-alive pool for every outbound call of the process. */
export function sharedDispatcher(): Agent {
  shared ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 128 });
  return shared;
}

/**
 * Streams hold their connection for a whole run, so they get their own pool without a cap:
 * 200 runs streaming at once must not leave a new start queued behind them.
 */
export function streamingDispatcher(): Agent {
  streamPool ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });
  return streamPool;
}

export interface HttpClientOptions {
  provider: string;
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs?: number;
  maxRetries?: number;
  /** Longest Retry-After we wait for inside one call; longer ones fail as rate_limited. */
  maxRetryAfterMs?: number;
  /** Shared by every request to the platform: its rate limit, and 429 pauses honoured by all. */
  gate?: RateGate;
  dispatcher?: Dispatcher;
  log?: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A request's body: JSON text, or a multipart form (undici streams its parts and sets the content type). */
function bodyOf(o: SendOptions): { body?: string | FormData } {
  if (o.form) return { body: o.form };
  return o.json === undefined ? {} : { body: JSON.stringify(o.json) };
}

export interface SendOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  json?: unknown;
  /** A multipart body (files stream from disk; never buffered twice). */
  form?: FormData;
  /** Overrides the client's timeout (a synchronous platform call may take minutes). */
  timeoutMs?: number;
  /**
   * 'read': safe to repeat. 'start': starts something on the platform — repeated only when the
   * request provably never arrived (connection refused) or was turned away with 429.
   */
  kind: 'read' | 'start';
  /** What this call does, for messages: "trigger workflow X". */
  what: string;
  /** A catalog read: it leaves part of the platform's allowance to starts, polls and cancels (see RateGate). */
  background?: boolean;
  signal?: AbortSignal | undefined;
}

export interface RequestOptions<S extends z.ZodType> extends SendOptions {
  /** 'text' accepts a body that is not JSON and returns it as a string. */
  accept?: 'json' | 'text';
  /** The zod schema of the response body; a body that does not match is a bad_response error. */
  schema: S;
}

export type Headers = Record<string, string | string[] | undefined>;

/** An answer whose body is still to be read, piece by piece (a server-sent event stream). */
export interface OpenResponse {
  headers: Headers;
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

type Failure = { ok: false; error: ProviderError; retryable: boolean; waitMs: number | null };
type Outcome<T> = { ok: true; value: T } | Failure;

/** A timeout while reading a body: the request's AbortSignal.timeout (a DOMException) or undici's body timeout. */
function isTimeout(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; cause?: { name?: unknown; code?: unknown } } | null;
  return e?.name === 'TimeoutError' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.cause?.name === 'TimeoutError' || e?.cause?.code === 'UND_ERR_BODY_TIMEOUT';
}

/** The single outbound pipeline: base URL, auth headers, timeout, retries, rate gate, one error mapping. */
export class HttpClient {
  /** The base URL parsed once (on first use: a bad one fails the request, as before), for requests to the base itself. */
  private base: URL | null = null;
  /** The request headers, built once per kind of request instead of on every call. */
  private readonly headerSets: Record<'plain' | 'json' | 'stream' | 'streamJson', Record<string, string>>;

  constructor(private readonly opts: HttpClientOptions) {
    const json = { 'content-type': 'application/json' };
    const [plain, stream] = [{ accept: 'application/json' }, { accept: 'text/event-stream, application/json' }];
    this.headerSets = {
      plain: { ...plain, ...opts.headers }, json: { ...plain, ...opts.headers, ...json },
      stream: { ...stream, ...opts.headers }, streamJson: { ...stream, ...opts.headers, ...json },
    };
  }

  async request<S extends z.ZodType>(o: RequestOptions<S>): Promise<z.output<S>> {
    return (await this.requestWithHeaders(o)).value;
  }

  /** Like `request`, with the response headers (paging metadata travels there on some platforms). */
  requestWithHeaders<S extends z.ZodType>(o: RequestOptions<S>): Promise<{ value: z.output<S>; headers: Headers }> {
    return this.withRetries(o, () => this.attemptBuffered(o));
  }

  /** One attempt, its answer read whole (see bufferedRequest); one timer for answer and body together. */
  private async attemptBuffered<S extends z.ZodType>(o: RequestOptions<S>): Promise<Outcome<{ value: z.output<S>; headers: Headers }>> {
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    try {
      const a = await bufferedRequest(this.opts.dispatcher ?? sharedDispatcher(), {
        url: this.url(o), method: o.method, deadlineMs: timeoutMs, signal: o.signal,
        headers: this.headerSets[o.json === undefined ? 'plain' : 'json'],
        ...bodyOf(o),
      });
      return a.status < 400 ? this.parse(o, a.text, a.headers) : this.refused(o, a.status, a.headers, a.text);
    } catch (err) {
      const f = err as BufferedFailure;
      // An error status whose body broke off is still that error (its body reads as empty).
      if (f.status >= 400) return this.refused(o, f.status, {}, '');
      const code = (f.error as { code?: string } | null)?.code;
      return this.transportFailure(o, f.error, f.timedOut || isTimeout(f.error) || code === 'UND_ERR_HEADERS_TIMEOUT', f.status ? 'reading' : 'sending');
    }
  }

  /**
   * Sends the request and hands back the body unread, for answers that stream. There is no
   * overall timeout then — only for the headers and between two pieces of the body.
   */
  open(o: SendOptions & { idleTimeoutMs?: number }): Promise<OpenResponse> {
    return this.withRetries(o, async () => {
      const sent = await this.send(o);
      if (!sent.ok) return sent;
      const { headers, body } = sent.value;
      const type = headers['content-type'];
      return { ok: true, value: { headers, body, contentType: (Array.isArray(type) ? type[0] : type) ?? '' } };
    });
  }

  private async withRetries<T>(o: SendOptions, attemptOnce: () => Promise<Outcome<T>>): Promise<T> {
    const max = this.opts.maxRetries ?? 2;
    const maxWait = this.opts.maxRetryAfterMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      await this.opts.gate?.take(`${this.opts.provider}: ${o.what}`, maxWait, o.signal, o.background);
      const outcome = await attemptOnce();
      if (outcome.ok) return outcome.value;
      const { error, retryable, waitMs } = outcome;
      const delay = waitMs ?? backoffMs(attempt);
      if (error.status === 429) this.opts.gate?.pause(delay);
      if (!retryable || attempt > max || o.signal?.aborted) throw error;
      if (delay > maxWait) throw error;
      this.opts.log?.debug(`${this.opts.provider}: ${o.what} failed (${error.code}); retry ${attempt}/${max} in ${delay} ms`);
      // With a gate, its pause is the wait: every other caller honours the same Retry-After.
      if (!(error.status === 429 && this.opts.gate)) await (this.opts.sleep ?? sleep)(delay, o.signal);
    }
  }

  private url(o: SendOptions): URL {
    // An empty path means the base URL itself (a Lleverage endpoint is a whole URL): shared, never changed.
    if (o.path === '' && !hasQuery(o.query)) return (this.base ??= new URL(this.opts.baseUrl));
    const url = o.path === '' ? new URL(this.opts.baseUrl) : new URL(o.path.replace(/^\//, ''), this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    for (const [k, v] of Object.entries(o.query ?? {})) {
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** Sends a request whose answer streams: only its start (headers) and its silences are timed, as it may rightly last for minutes. */
  private async send(o: SendOptions): Promise<Outcome<Dispatcher.ResponseData>> {
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    const idle = (o as { idleTimeoutMs?: number }).idleTimeoutMs ?? 300_000;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.url(o), {
        method: o.method, dispatcher: this.opts.dispatcher ?? streamingDispatcher(),
        ...(o.signal ? { signal: o.signal } : {}),
        headersTimeout: timeoutMs, bodyTimeout: idle,
        headers: this.headerSets[o.json === undefined ? 'stream' : 'streamJson'],
        ...bodyOf(o),
      });
    } catch (err) {
      return this.transportFailure(o, err, (err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT');
    }
    const status = res.statusCode;
    if (status < 400) return { ok: true, value: res };
    return this.refused(o, status, res.headers, await res.body.text().catch(() => ''));
  }

  /** An answer with an error status: mapped to its code; whether it may be sent again. */
  private refused(o: SendOptions, status: number, headers: Headers, text: string): Failure {
    const provider = this.opts.provider;
    let error = ProviderError.fromResponse(provider, status, headers, text, o.what);
    // A start the platform failed on may have begun all the same: unknown, and never re-sent.
    if (o.kind === 'start' && status >= 500) error = startUnknown(provider, o.what, `with ${status}`, text, status);
    const transient = status === 408 || status === 429 || status >= 500;
    const retryable = o.kind === 'read' ? transient : status === 429;
    return { ok: false, error, retryable, waitMs: retryAfterMs(headers['retry-after'], Date.now()) };
  }

  private transportFailure(o: SendOptions, err: unknown, timedOut: boolean, phase: 'sending' | 'reading' = 'sending'): Failure {
    const provider = this.opts.provider;
    // Only undici's string codes name a network failure; a DOMException's numeric code (23: timeout) does not.
    const raw = (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
    const code = typeof raw === 'string' ? raw : '';
    const secs = `${Math.round((o.timeoutMs ?? this.opts.timeoutMs ?? 30_000) / 100) / 10} s`;
    if (o.signal?.aborted) return { ok: false, error: ProviderError.transport(provider, 'aborted', `${o.what} was aborted.`), retryable: false, waitMs: null };
    if (o.kind === 'start' && !NOT_SENT.has(code)) {
      const how = timedOut ? `timed out after ${secs}${phase === 'reading' ? ' while reading the answer' : ''}` : `lost its connection (${code || 'no answer'})`;
      const error = ProviderError.transport(provider, 'outcome_unknown', `The request to ${o.what} ${how} after it may have reached ${provider}, so it was not sent again: the run may or may not have started. Check the recent runs (list_runs) before starting it again.`, String(err));
      return { ok: false, error, retryable: false, waitMs: null };
    }
    const kind = timedOut ? 'timeout' : 'connection';
    const what = timedOut
      ? phase === 'reading' ? `${provider} answered, but the answer did not finish arriving: timed out after ${secs} while reading it` : `no answer from ${provider} within ${secs}`
      : phase === 'reading' ? `the connection broke while reading ${provider}'s answer (${code || 'connection error'})` : `cannot reach ${provider} (${code || 'connection error'})`;
    return { ok: false, error: ProviderError.transport(provider, kind, `${o.what}: ${what}.`, String(err)), retryable: true, waitMs: null };
  }

  /** A body that arrived whole: JSON (or text when accepted) checked against the schema. */
  private parse<S extends z.ZodType>(o: RequestOptions<S>, text: string, headers: Headers): Outcome<{ value: z.output<S>; headers: Headers }> {
    const provider = this.opts.provider;
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      if (o.accept === 'text') return { ok: true, value: { value: o.schema.parse(text), headers } };
      if (o.kind === 'start') return { ok: false, error: startUnknown(provider, o.what, 'with something that is not JSON', text), retryable: false, waitMs: null };
      return { ok: false, error: ProviderError.transport(provider, 'bad_response', `${provider} answered ${o.what} with something that is not JSON.`, text.slice(0, 2000)), retryable: true, waitMs: null };
    }
    const parsed = o.schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      if (o.kind === 'start') return { ok: false, error: startUnknown(provider, o.what, `in an unexpected shape (${where})`, text), retryable: false, waitMs: null };
      return { ok: false, error: ProviderError.transport(provider, 'bad_response', `${provider} answered ${o.what} in an unexpected shape (${where}).`, text.slice(0, 2000)), retryable: false, waitMs: null };
    }
    return { ok: true, value: { value: parsed.data, headers } };
  }
}

function hasQuery(query: SendOptions['query']): boolean {
  if (query) for (const k in query) if (query[k] !== undefined) return true;
  return false;
}

/** A start that arrived but whose answer says nothing usable: it may have started, and is never re-sent. */
function startUnknown(provider: string, what: string, how: string, body: string, status: number | null = null): ProviderError {
  const message = `${provider} answered ${what} ${how}, so it was not sent again: the run may or may not have started. Check the recent runs (list_runs) before starting it again.`;
  return new ProviderError('outcome_unknown', message, provider, status, null, `body: ${body.slice(0, 2000)}`);
}
