import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeServer } from '../listen.js';
import { runView, script, type FakeRun, type FakeStep, type FakeVersion, type FakeWorkflowDef } from './runs.js';

export type { FakeStep, FakeVersion, FakeWorkflowDef } from './runs.js';

type Failure = { status: number; retryAfter?: string } | 'reset';

export interface CortexKnobs {
  latencyMs: number;
  /** Time each step takes. */
  stepMs: number;
  /** One-shot failures by route name (`list`, `versions`, `start`, `get-run`, `cancel`, …). */
  failures: Array<{ route: string; failure: Failure }>;
  /** The next SSE stream is cut after this many events (the run goes on). */
  dropStreamAfter: number | null;
  /** Answer starts as JSON even when asked to stream (an older server). */
  ignoreStream: boolean;
  /** Raw rows appended to the own-workflow list (malformed items). */
  junkRows: unknown[];
  /** A cancel ends the run without a final event, and its stream stays open. */
  silentCancel: boolean;
  /**
   * The next stream's first `run` event goes out in one write with the headers, then the
   * connection is reset (the run goes on): at once (`true`: the kernel drops the unread bytes),
   * or once that write has left (`'after-flush'`: the bytes arrive, then the reset).
   */
  resetWithFirstRun: boolean | 'after-flush';
  /** The next start is answered 200 with a body that is not JSON (the run goes on). */
  junkAfterStart: boolean;
  /** Workflow list pages after `afterPage` wait for `release` (a big account read part way). */
  listHold: { afterPage: number; release: Promise<void> } | null;
}

const KEY = 'ctx-test-key-0123456789abcdef';
const DEFAULT_TAKE = 20;

/**
 * The fifteen workflow routes of providers.md §2 under /apps/{c|app id}: Bearer auth, bare-array
 * lists with 1-based `pagination-*` headers, blocking / background / SSE runs, cancel, replay,
 * retention and `{status, message, errors[]}` errors. Anything else lands in `unexpected`.
 */
export class FakeCortex extends FakeServer {
  readonly key = KEY;
  readonly appId = 'app_test';
  readonly workflows: FakeWorkflowDef[] = [];
  readonly runs = new Map<string, FakeRun>();
  readonly unexpected: string[] = [];
  readonly calls: Record<string, number> = {};
  /** Bodies of every start and replay, as received (multipart input parsed). */
  readonly starts: Array<Record<string, unknown>> = [];
  readonly replays: Array<Record<string, unknown>> = [];
  readonly queries: URLSearchParams[] = [];
  /** Streams the client hung up on (after a silent cancel). */
  streamsClosedByClient = 0;
  readonly knobs: CortexKnobs = { latencyMs: 0, stepMs: 5, failures: [], dropStreamAfter: null, ignoreStream: false, junkRows: [], silentCancel: false, resetWithFirstRun: false, junkAfterStart: false, listHold: null };
  private seq = 0;

  fail(route: string, failure: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.knobs.failures.push({ route, failure });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const raw = await readBody(req);
    const send = (status: number, value: unknown, headers: Record<string, string> = {}): void => void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
    const error = (status: number, message: string, errors?: unknown[]): void => send(status, { status, message, ...(errors ? { errors } : {}) });
    const m = /^\/apps\/([^/]+)\/workflows(\/discover)?(?:\/([^/]+)(?:\/(versions|runs)(?:\/([^/]+)(?:\/(cancel|replay|retention))?)?)?)?$/.exec(url.pathname);
    const route = m ? routeOf(req.method ?? '', m) : null;
    if (!m || !route) {
      this.unexpected.push(`${req.method} ${req.url}`);
      return error(404, `the fake does not expect ${req.method} ${url.pathname}`);
    }
    this.calls[route] = (this.calls[route] ?? 0) + 1;
    this.queries.push(url.searchParams);
    if (this.knobs.latencyMs) await new Promise((r) => setTimeout(r, this.knobs.latencyMs));
    if (req.headers.authorization !== `Bearer ${KEY}`) return error(401, 'Unauthorized');
    if (m[1] !== 'c' && m[1] !== this.appId) return error(404, 'App not found');
    const i = this.knobs.failures.findIndex((f) => f.route === route);
    if (i >= 0) {
      const failure = this.knobs.failures.splice(i, 1)[0]!.failure;
      if (failure === 'reset') return void req.socket.destroy();
      return send(failure.status, { status: failure.status, message: failure.status === 429 ? 'Too many requests' : 'Internal error' }, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
    }
    const scope = m[2] ? 'discover' : 'own';
    const wf = m[3] ? this.workflows.find((w) => w.id === decodeURIComponent(m[3]!) && w.scope === scope) : undefined;
    if (m[3] && !wf) return error(404, 'Workflow not found');
    switch (route) {
      case 'list': {
        const hold = this.knobs.listHold;
        if (hold && Number(url.searchParams.get('page') ?? 1) > hold.afterPage) await hold.release;
        // Only the rows of the page asked for are rendered: a 10,000-workflow account stays cheap.
        const rows: unknown[] = [...this.workflows.filter((w) => w.scope === scope && this.matches(w, url)), ...(scope === 'own' ? this.knobs.junkRows : [])];
        const defs = new Set<unknown>(this.workflows);
        return this.page(res, url, rows, (w) => (defs.has(w) ? this.workflowView(w as FakeWorkflowDef) : w));
      }
      case 'get':
        return send(200, this.workflowView(wf!));
      case 'versions':
        return this.page(res, url, wf!.versions.map((v) => versionView(wf!, v)));
      case 'version': {
        const v = wf!.versions.find((x) => x.id === m[5] || String(x.version) === m[5]);
        return v ? send(200, versionView(wf!, v)) : error(404, 'Version not found');
      }
      case 'start':
        return this.startRun(req, res, raw, wf!);
      case 'list-runs': {
        const status = url.searchParams.get('status');
        const origin = url.searchParams.get('origin');
        const rows = [...this.runs.values()].filter((r) => r.workflow === wf && (!status || status === 'ALL' || r.status === status) && (!origin || origin === 'ALL' || r.origin === origin)).sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
        return this.page(res, url, rows.map(runView));
      }
      case 'get-run': {
        const r = this.runs.get(m[5]!);
        return r && r.workflow === wf ? send(200, runView(r)) : error(404, 'Run not found');
      }
      case 'cancel': {
        const r = this.runs.get(m[5]!);
        if (!r || r.workflow !== wf) return error(404, 'Run not found');
        if (r.status === 'RUNNING' || r.status === 'PENDING') (r.cancelRequested = true), (r.silentCancel = this.knobs.silentCancel);
        await new Promise((ok) => setTimeout(ok, 1));
        if (r.cancelRequested && r.status !== 'CANCELLED') (r.status = 'CANCELLED'), (r.ended = Date.now());
        return send(200, runView(r));
      }
      case 'replay':
        return this.replay(req, res, raw, wf!, m[5]!);
      case 'retention': {
        const r = this.runs.get(m[5]!);
        if (!r || r.workflow !== wf) return error(404, 'Run not found');
        const body = parseJson(raw.toString("utf8"));
        if (!body || !('retention' in body)) return error(400, 'Invalid body', [{ validation: 'required', code: 'invalid_type', message: 'Required', path: ['retention'] }]);
        r.retention = body['retention'];
        return send(200, runView(r));
      }
    }
  }

  private matches(w: FakeWorkflowDef, url: URL): boolean {
    const search = url.searchParams.get('search');
    const tags = [...url.searchParams.getAll('tags[]'), ...url.searchParams.getAll('tags')];
    return (!search || w.name.toLowerCase().includes(search.toLowerCase())) && tags.every((t) => w.tags?.includes(t));
  }

  private page(res: ServerResponse, url: URL, rows: unknown[], view: (row: unknown) => unknown = (r) => r): void {
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const take = Math.min(100, Math.max(1, Number(url.searchParams.get('take') ?? DEFAULT_TAKE)));
    const items = rows.slice((page - 1) * take, page * take).map(view);
    res.writeHead(200, { 'content-type': 'application/json', 'pagination-page': String(page), 'pagination-take': String(take), 'pagination-count': String(rows.length) }).end(JSON.stringify(items));
  }

  private workflowView(w: FakeWorkflowDef): Record<string, unknown> {
    const deployed = w.versions.find((v) => v.version === w.deployed);
    return {
      id: w.id, name: w.name, description: w.description ?? null, app: { id: w.scope === 'own' ? this.appId : 'app_shared', name: w.scope === 'own' ? 'Test app' : 'Shared Co', verified: true },
      version: deployed ? versionView(w, deployed) : null, tags: (w.tags ?? []).map((t) => ({ id: `tag_${t}`, name: t, color: null, app_id: this.appId, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' })),
      template_id: null, runs_count: [...this.runs.values()].filter((r) => r.workflow === w).length, retention: null, enabled: true, deleted: false,
      created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z',
      key: `${w.id}-draft`, input: w.draft?.input ?? deployed?.input ?? {}, input_default: w.draft?.input_default ?? {}, input_options: {}, steps: [],
    };
  }

  private async startRun(req: IncomingMessage, res: ServerResponse, raw: Buffer, wf: FakeWorkflowDef): Promise<void> {
    const parsed = await parseRunBody(req, raw);
    if (!parsed) return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: 'Invalid body' }));
    const { body, files } = parsed;
    this.starts.push({ ...body, ...(Object.keys(files).length ? { files } : {}) });
    const wanted = body['workflow_version_id'];
    const version = wanted === 'draft' ? null : wf.versions.find((v) => wanted === undefined || wanted === 'latest' ? v.version === wf.deployed : v.id === wanted || String(v.version) === String(wanted));
    if (version === undefined || (version === null && !wf.draft)) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404, message: 'Version not found' }));
    const input = (body['input'] ?? {}) as Record<string, unknown>;
    const missing = requiredMissing(version?.input ?? wf.draft?.input, { ...((version?.input_default ?? {}) as object), ...input }, files);
    if (missing.length) return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: 'Invalid input', errors: missing.map((k) => ({ validation: 'required', code: 'invalid_type', message: 'Required', path: ['input', k] })) }));
    const run = this.newRun(wf, version, input, body['retention'], files);
    const steps = version?.steps ?? wf.draft!.steps;
    run.done = script(run, steps, version ? version.result : wf.draft!.result, this.knobs.stepMs);
    return this.answer(res, run, body);
  }

  private async replay(req: IncomingMessage, res: ServerResponse, raw: Buffer, wf: FakeWorkflowDef, runId: string): Promise<void> {
    const earlier = this.runs.get(runId);
    if (!earlier || earlier.workflow !== wf) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404, message: 'Run not found' }));
    const body = parseJson(raw.toString('utf8'));
    this.replays.push(body ?? {});
    const steps = earlier.version?.steps ?? wf.draft?.steps ?? [];
    const from = steps.findIndex((s) => s.key === body?.['stepKey']);
    if (!body || typeof body['stepKey'] !== 'string') return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: 'Invalid body', errors: [{ validation: 'required', code: 'invalid_type', message: 'Required', path: ['stepKey'] }] }));
    if (from === -1) return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: `No step "${String(body['stepKey'])}" in this run` }));
    const run = this.newRun(wf, earlier.version, earlier.input, body['retention'], {});
    for (const s of steps.slice(0, from)) if (earlier.output[s.key]) run.output[s.key] = earlier.output[s.key]!;
    run.done = script(run, steps.slice(from), earlier.version?.result, this.knobs.stepMs);
    return this.answer(res, run, body);
  }

  private newRun(wf: FakeWorkflowDef, version: FakeVersion | null, input: Record<string, unknown>, retention: unknown, files: Record<string, string[]>): FakeRun {
    const id = `run_${(++this.seq).toString().padStart(5, '0')}`;
    const run: FakeRun = { id, workflow: wf, version, status: 'PENDING', input, output: {}, origin: 'ENDPOINT', created: Date.now(), started: null, ended: null, retention: retention ?? null, files, cancelRequested: false, listeners: new Set(), done: Promise.resolve() };
    this.runs.set(id, run);
    return run;
  }

  /** Streams, answers at once (background) or when the run ends (blocking). */
  private async answer(res: ServerResponse, run: FakeRun, body: Record<string, unknown>): Promise<void> {
    if (this.knobs.junkAfterStart) {
      this.knobs.junkAfterStart = false;
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
    }
    if (body['stream'] === true && !this.knobs.ignoreStream && this.knobs.resetWithFirstRun) {
      const mode = this.knobs.resetWithFirstRun;
      this.knobs.resetWithFirstRun = false;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const first = (event: string, data: unknown): void => {
        run.listeners.delete(first);
        const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`; // one write with the headers
        if (mode === 'after-flush') res.write(chunk, () => res.socket?.resetAndDestroy());
        else (res.write(chunk), res.socket?.resetAndDestroy());
      };
      run.listeners.add(first);
      return;
    }
    if (body['stream'] === true && !this.knobs.ignoreStream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const hungUp = new Promise((closed) => res.on('close', closed));
      let sent = 0;
      const drop = this.knobs.dropStreamAfter;
      this.knobs.dropStreamAfter = null;
      const listener = (event: string, data: unknown): void => {
        if (drop !== null && sent >= drop) {
          run.listeners.delete(listener);
          // What was written reaches the client; then the connection breaks (no clean end).
          return void res.write(': \n\n', () => res.destroy());
        }
        sent++;
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      run.listeners.add(listener);
      await run.done;
      run.listeners.delete(listener);
      if (run.silentCancel) {
        await hungUp;
        this.streamsClosedByClient++;
      } else if (!res.destroyed) res.end();
      return;
    }
    if (body['background'] !== true) await run.done;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(runView(run)));
  }
}

function routeOf(method: string, m: RegExpExecArray): string | null {
  const [, , discover, id, sub, subId, action] = m;
  if (!id) return method === 'GET' ? 'list' : null;
  if (!sub) return method === 'GET' ? 'get' : null;
  if (sub === 'versions') return method !== 'GET' ? null : subId ? 'version' : discover ? null : 'versions';
  if (!subId) return method === 'POST' ? 'start' : method === 'GET' && !discover ? 'list-runs' : null;
  if (!action) return method === 'GET' && !discover ? 'get-run' : null;
  if (action === 'cancel') return method === 'POST' ? 'cancel' : null;
  if (discover) return null;
  return action === 'replay' && method === 'POST' ? 'replay' : action === 'retention' && method === 'PATCH' ? 'retention' : null;
}

function versionView(w: FakeWorkflowDef, v: FakeVersion): Record<string, unknown> {
  return { id: v.id, app_id: 'app_test', workflow_id: w.id, description: null, version: v.version, notes: null, created_at: '2026-01-01T00:00:00.000Z', key: `${w.id}-v${v.version}`, input: v.input ?? {}, input_default: v.input_default ?? {}, input_options: {}, steps: v.steps.map((s) => ({ key: s.key, type: s.type })) };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
  });
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text || '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** JSON, or multipart where `input` is a JSON string and files come under their field keys. */
async function parseRunBody(req: IncomingMessage, raw: Buffer): Promise<{ body: Record<string, unknown>; files: Record<string, string[]> } | null> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) {
    const body = parseJson(raw.toString('utf8'));
    return body ? { body, files: {} } : null;
  }
  const form = await new Request('http://x', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
  const body: Record<string, unknown> = {};
  const files: Record<string, string[]> = {};
  for (const [k, v] of form.entries()) {
    if (typeof v !== 'string') (files[k] ??= []).push(`${v.name}:${v.size}`);
    else if (k === 'input' || k === 'retention') body[k] = JSON.parse(v);
    else body[k] = v === 'true' ? true : v === 'false' ? false : v;
  }
  return { body, files };
}

function requiredMissing(input: unknown, given: Record<string, unknown>, files: Record<string, string[]>): string[] {
  if (!input || typeof input !== 'object') return [];
  return Object.entries(input as Record<string, { optional?: boolean; type?: string; default?: unknown }>)
    .filter(([k, d]) => d && typeof d === 'object' && d.type !== 'content' && d.optional !== true && d.default === undefined && given[k] === undefined && !files[k])
    .map(([k]) => k);
}
