import { Agent, request, type Dispatcher, type FormData } from 'undici';
import type { z } from 'zod';
import { sleep } from '../core/abort.js';
import type { Logger } from '../core/log.js';
import { ProviderError } from './errors.js';
import { backoffMs, NOT_SENT, retryAfterMs } from './retry.js';

let shared: Agent | null = null;
/** One keep-alive pool for every outbound call of the process. */
export function sharedDispatcher(): Agent {
  shared ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 128 });
  return shared;
}

export interface HttpClientOptions {
  provider: string;
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs?: number;
  maxRetries?: number;
  /** Longest Retry-After we wait for inside one call; longer ones fail as rate_limited. */
  maxRetryAfterMs?: number;
  dispatcher?: Dispatcher;
  log?: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RequestOptions<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** A multipart body (files stream from disk; never buffered twice). */
  form?: FormData;
  /** 'text' accepts a body that is not JSON and returns it as a string. */
  accept?: 'json' | 'text';
  /** Overrides the client's timeout (a synchronous platform call may take minutes). */
  timeoutMs?: number;
  /** The zod schema of the response body; a body that does not match is a bad_response error. */
  schema: S;
  /**
   * 'read': safe to repeat. 'start': starts something on the platform — repeated only when the
   * request provably never arrived (connection refused) or was turned away with 429.
   */
  kind: 'read' | 'start';
  /** What this call does, for messages: "trigger workflow X". */
  what: string;
  signal?: AbortSignal | undefined;
}

/** The single outbound pipeline: base URL, auth headers, timeout, retries, one error mapping. */
export class HttpClient {
  constructor(private readonly opts: HttpClientOptions) {}

  async request<S extends z.ZodType>(o: RequestOptions<S>): Promise<z.output<S>> {
    const max = this.opts.maxRetries ?? 2;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(o);
      if (outcome.ok) return outcome.value;
      const { error, retryable, waitMs } = outcome;
      if (!retryable || attempt > max || o.signal?.aborted) throw error;
      const delay = waitMs ?? backoffMs(attempt);
      if (delay > (this.opts.maxRetryAfterMs ?? 30_000)) throw error;
      this.opts.log?.debug(`${this.opts.provider}: ${o.what} failed (${error.code}); retry ${attempt}/${max} in ${delay} ms`);
      await (this.opts.sleep ?? sleep)(delay, o.signal);
    }
  }

  private async once<S extends z.ZodType>(o: RequestOptions<S>): Promise<{ ok: true; value: z.output<S> } | { ok: false; error: ProviderError; retryable: boolean; waitMs: number | null }> {
    const provider = this.opts.provider;
    // An empty path means the base URL itself (a Lleverage endpoint is a whole URL).
    const url = o.path === '' ? new URL(this.opts.baseUrl) : new URL(o.path.replace(/^\//, ''), this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(o.timeoutMs ?? this.opts.timeoutMs ?? 30_000);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: o.method, signal, dispatcher: this.opts.dispatcher ?? sharedDispatcher(),
        headers: { accept: 'application/json', ...this.opts.headers, ...(o.json === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(o.json === undefined ? {} : { body: JSON.stringify(o.json) }),
        ...(o.form ? { body: o.form } : {}),
      });
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code ?? '';
      if (o.signal?.aborted) return { ok: false, error: ProviderError.transport(provider, 'aborted', `${o.what} was aborted.`), retryable: false, waitMs: null };
      const neverSent = NOT_SENT.has(code);
      if (o.kind === 'start' && !neverSent) {
        const how = timeout.aborted ? 'timed out' : `lost its connection (${code || 'no answer'})`;
        const error = ProviderError.transport(provider, 'outcome_unknown', `The request to ${o.what} ${how} after it may have reached ${provider}, so it was not sent again: the run may or may not have started. Check the recent runs (list_runs) before starting it again.`, String(err));
        return { ok: false, error, retryable: false, waitMs: null };
      }
      const kind = timeout.aborted ? 'timeout' : 'connection';
      return { ok: false, error: ProviderError.transport(provider, kind, `${o.what}: ${timeout.aborted ? 'no answer in time' : `cannot reach ${provider} (${code || 'connection error'})`}.`, String(err)), retryable: true, waitMs: null };
    }
    const text = await res.body.text().catch(() => '');
    const status = res.statusCode;
    if (status >= 400) {
      const error = ProviderError.fromResponse(provider, status, res.headers, text, o.what);
      const transient = status === 408 || status === 429 || status >= 500;
      const retryable = o.kind === 'read' ? transient : status === 429;
      return { ok: false, error, retryable, waitMs: retryAfterMs(res.headers['retry-after'], Date.now()) };
    }
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      if (o.accept === 'text') return { ok: true, value: o.schema.parse(text) };
      return { ok: false, error: ProviderError.transport(provider, 'bad_response', `${provider} answered ${o.what} with something that is not JSON.`, text.slice(0, 2000)), retryable: o.kind === 'read', waitMs: null };
    }
    const parsed = o.schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      return { ok: false, error: ProviderError.transport(provider, 'bad_response', `${provider} answered ${o.what} in an unexpected shape (${where}).`, text.slice(0, 2000)), retryable: false, waitMs: null };
    }
    return { ok: true, value: parsed.data };
  }
}
