import { FormData } from 'undici';
import { z } from 'zod';
import type { Logger } from '../../core/log.js';
import { mapLimit } from '../../core/pool.js';
import { RateGate } from '../../http/gate.js';
import { HttpClient, type Headers, type HttpClientOptions, type OpenResponse } from '../../http/client.js';
import type { SharedBuckets } from '../../http/shared-rate.js';
import * as W from './wire.js';

export const CORTEX_DEFAULT_BASE_URL = 'https://api.withcortex.ai';
/** Cortex allows 500 requests a minute per IP address (providers.md §2). */
export const CORTEX_REQUESTS_PER_MINUTE = 500;
const TAKE = 50;
const PAGE_CONCURRENCY = 8;
const MAX_PAGES = 1000;

/** Own workflows live at /workflows; shared ones at /workflows/discover. */
export type Scope = 'own' | 'discover';

export interface CortexClientOptions extends Omit<HttpClientOptions, 'provider' | 'headers' | 'baseUrl'> {
  apiKey: string;
  appId?: string | undefined;
  baseUrl?: string | undefined;
  log?: Logger;
  /** The account's allowance kept where every replica draws from it (see http/shared-rate.ts). */
  sharedRate?: SharedBuckets | undefined;
}

export interface ListFilters {
  search?: string | undefined;
  tags?: string[] | undefined;
}

/** A file argument on its way to a multipart run body. */
export interface UploadFile {
  field: string;
  blob: Blob;
  filename: string;
}

const num = (h: Headers, name: string): number | null => {
  const v = h[name];
  const n = Number(Array.isArray(v) ? v[0] : v);
  return v === undefined || !Number.isFinite(n) ? null : n;
};

/** The fifteen workflow endpoints of providers.md §2, under /apps/{app_id}, Bearer auth. */
export class CortexClient {
  readonly http: HttpClient;
  private readonly log: Logger | undefined;

  constructor(opts: CortexClientOptions) {
    const { apiKey, appId, baseUrl, sharedRate, ...rest } = opts;
    this.log = opts.log;
    const root = `${(baseUrl ?? CORTEX_DEFAULT_BASE_URL).replace(/\/+$/, '')}/apps/${encodeURIComponent(appId ?? 'c')}`;
    this.http = new HttpClient({ gate: new RateGate({ perMinute: CORTEX_REQUESTS_PER_MINUTE, shared: sharedRate && { buckets: sharedRate, name: `cortex:${appId ?? 'c'}` } }), ...rest, provider: 'cortex', baseUrl: root, headers: { authorization: `Bearer ${apiKey}` } });
  }

  /** #6 / #1: every workflow, all pages; each page to `onPage` as it arrives (pages come in any order). */
  async listWorkflows(scope: Scope, filters: ListFilters = {}, signal?: AbortSignal, onPage?: (items: W.CortexWorkflow[], page: number) => void): Promise<W.CortexWorkflow[]> {
    const query = { search: filters.search, 'tags[]': filters.tags };
    const out: W.CortexWorkflow[] = [];
    await this.each(scope === 'own' ? 'workflows' : 'workflows/discover', query, W.CortexWorkflow, scope === 'own' ? 'list workflows' : 'list discoverable workflows', signal, onPage ?? ((items) => void out.push(...items)));
    return out;
  }

  /** One small request (#6): how many own workflows the key sees. For doctor. */
  async countWorkflows(signal?: AbortSignal): Promise<number> {
    const { value, headers } = await this.http.requestWithHeaders({ method: 'GET', path: 'workflows', query: { take: 1 }, schema: z.array(z.unknown()), kind: 'read', what: 'list workflows', signal });
    return num(headers, 'pagination-count') ?? value.length;
  }

  /** #7 / #2 */
  getWorkflow(scope: Scope, id: string, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: `${root(scope)}/${enc(id)}`, schema: W.CortexWorkflow, kind: 'read', what: `read workflow ${id}`, signal });
  }

  /** #14: every deployed version of an own workflow. */
  listVersions(id: string, signal?: AbortSignal): Promise<W.CortexVersion[]> {
    return this.all(`workflows/${enc(id)}/versions`, {}, W.CortexVersion, `list the versions of ${id}`, signal);
  }

  /** #15 / #3 */
  getVersion(scope: Scope, id: string, version: string, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: `${root(scope)}/${enc(id)}/versions/${enc(version)}`, schema: W.CortexVersion, kind: 'read', what: `read version ${version} of ${id}`, signal });
  }

  /** #9 / #4: starts one run; the answer streams (SSE) or is the run as JSON. Never repeated once sent. */
  startRun(scope: Scope, id: string, body: W.RunBody, files: UploadFile[], signal?: AbortSignal): Promise<OpenResponse> {
    return this.http.open({ method: 'POST', path: `${root(scope)}/${enc(id)}/runs`, ...payload(body, files), kind: 'start', what: `start a run of ${id}`, signal });
  }

  /** #11: a new run from one step of an earlier one. */
  replay(id: string, runId: string, body: W.ReplayBody, signal?: AbortSignal): Promise<OpenResponse> {
    return this.http.open({ method: 'POST', path: `workflows/${enc(id)}/runs/${enc(runId)}/replay`, json: body, kind: 'start', what: `replay run ${runId}`, signal });
  }

  /** #10 */
  getRun(id: string, runId: string, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: `workflows/${enc(id)}/runs/${enc(runId)}`, schema: W.CortexRun, kind: 'read', what: `read run ${runId}`, signal });
  }

  /** #8: one page of a workflow's runs, newest first; `next` is the page to ask for after it, or null. */
  async listRuns(id: string, q: { page?: number | undefined; take: number; status?: string | undefined; origin?: string | undefined }, signal?: AbortSignal): Promise<{ runs: W.CortexRun[]; next: number | null }> {
    const query = { page: q.page, take: q.take, status: q.status, origin: q.origin };
    const { value, headers } = await this.http.requestWithHeaders({ method: 'GET', path: `workflows/${enc(id)}/runs`, query, schema: z.array(W.CortexRun), kind: 'read', what: `list the runs of ${id}`, signal });
    return { runs: value, next: nextPage(headers, q.take, value.length) };
  }

  /** #12 / #5. Cancelling twice is harmless, so it may be retried. */
  cancel(scope: Scope, id: string, runId: string) {
    return this.http.request({ method: 'POST', path: `${root(scope)}/${enc(id)}/runs/${enc(runId)}/cancel`, schema: W.CortexRun, kind: 'read', what: `cancel run ${runId}` });
  }

  /** #13 */
  setRetention(id: string, runId: string, retention: W.Retention) {
    return this.http.request({ method: 'PATCH', path: `workflows/${enc(id)}/runs/${enc(runId)}/retention`, json: { retention }, schema: W.CortexRun, kind: 'read', what: `change the retention of run ${runId}` });
  }

  private async all<S extends z.ZodType>(path: string, query: Record<string, string | string[] | undefined>, item: S, what: string, signal?: AbortSignal): Promise<Array<z.output<S>>> {
    const pages: Array<Array<z.output<S>>> = [];
    await this.each(path, query, item, what, signal, (items, page) => (pages[page] = items));
    return pages.flat();
  }

  /**
   * Every page of a list, each handed to `onPage` with its position (0 = the first) as it
   * arrives: a list of 10,000 workflows is served while it is read, never held whole as raw
   * JSON. The first request leaves `page` out, so the server's own first page comes back
   * whatever its base; its `pagination-*` headers then say how many pages follow, and those are
   * read a few at a time. These are catalog reads: they leave a reserve of the allowance to
   * starts, polls and cancels.
   */
  private async each<S extends z.ZodType>(path: string, query: Record<string, string | string[] | undefined>, item: S, what: string, signal: AbortSignal | undefined, onPage: (items: Array<z.output<S>>, page: number) => void): Promise<void> {
    const list = z.array(z.unknown());
    const first = await this.http.requestWithHeaders({ method: 'GET', path, query: { ...query, take: TAKE }, schema: list, kind: 'read', what, signal, background: true });
    onPage(this.items(first.value, item, what), 0);
    let next = nextPage(first.headers, TAKE, first.value.length);
    if (next === null) return;
    const take = num(first.headers, 'pagination-take') ?? TAKE;
    const count = num(first.headers, 'pagination-count');
    if (count === null) {
      // No total: one page after another until a short one.
      for (let i = 1; next !== null && i <= MAX_PAGES; i++) {
        const page = await this.http.requestWithHeaders({ method: 'GET', path, query: { ...query, page: next, take }, schema: list, kind: 'read', what, signal, background: true });
        onPage(this.items(page.value, item, what), i);
        next = nextPage(page.headers, take, page.value.length);
      }
      return;
    }
    const pages: number[] = [];
    for (let p = next; pages.length < MAX_PAGES && (pages.length + 1) * take < count; p++) pages.push(p);
    await mapLimit(pages, PAGE_CONCURRENCY, async (page, i) => void onPage(this.items(await this.http.request({ method: 'GET', path, query: { ...query, page, take }, schema: list, kind: 'read', what, signal, background: true }), item, what), i + 1));
  }

  /** One malformed item is left out with a warning; it does not hide the rest of the list. */
  private items<S extends z.ZodType>(rows: unknown[], item: S, what: string): Array<z.output<S>> {
    const out: Array<z.output<S>> = [];
    for (const row of rows) {
      const parsed = item.safeParse(row);
      if (parsed.success) out.push(parsed.data);
      else {
        const id = row && typeof row === 'object' && typeof (row as { id?: unknown }).id === 'string' ? ` ${(row as { id: string }).id}` : '';
        const where = parsed.error.issues.slice(0, 2).map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`).join('; ');
        this.log?.warn(`cortex: ${what}: left out an item${id} in an unexpected shape (${where})`);
      }
    }
    return out;
  }
}

/** The page after this one, or null on a short page or when `page*take >= count` (whatever the page base). */
export function nextPage(headers: Headers, requestedTake: number, items: number): number | null {
  const page = num(headers, 'pagination-page');
  const take = num(headers, 'pagination-take') ?? requestedTake;
  const count = num(headers, 'pagination-count');
  if (items === 0 || items < take) return null;
  if (page === null) return null; // no paging headers: the list came whole
  if (count !== null && page * take >= count) return null;
  return page + 1;
}

function root(scope: Scope): string {
  return scope === 'own' ? 'workflows' : 'workflows/discover';
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** JSON, unless a file goes along: then multipart, with `input` as a JSON string field (as the SDK sends it). */
function payload(body: W.RunBody, files: UploadFile[]): { json: W.RunBody } | { form: FormData } {
  if (!files.length) return { json: body };
  const form = new FormData();
  for (const [k, v] of Object.entries(body)) if (v !== undefined) form.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const f of files) form.append(f.field, f.blob as never, f.filename);
  return { form };
}
