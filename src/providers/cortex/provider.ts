import { WorkflowError } from '../../core/errors.js';
import { isPlainObject, parseJsonOr } from '../../core/json.js';
import type { Logger } from '../../core/log.js';
import { ProviderError } from '../../http/errors.js';
import type { OpenResponse } from '../../http/client.js';
import type { SharedBuckets } from '../../http/shared-rate.js';
import { isTerminal, type CancelOutcome, type CatalogListing, type CatalogProgress, type DoctorCheck, type HistoryRequest, type Provider, type Run, type RunStatus, type RunUpdate, type StartRequest, type Workflow } from '../types.js';
import { inputMatches, startedSince } from '../match.js';
import { CortexCatalog, type VersionInfo } from './catalog.js';
import { CORTEX_DEFAULT_BASE_URL, CortexClient, type ListFilters, type Scope } from './client.js';
import type { SchemaCache } from '../schema-cache.js';
import { uploadsFor } from './files.js';
import { followStream, openRunStream, runOfState, type OpenStream } from './follow.js';
import { runUpdateOf, statusOf, toRun } from './map.js';
import { CortexRun, type Retention, type RunBody } from './wire.js';

export interface CortexProviderOptions {
  apiKey: string;
  appId?: string | undefined;
  baseUrl?: string | undefined;
  discover?: boolean | undefined;
  draft?: boolean | undefined;
  versions?: 'all' | 'latest' | undefined;
  filters?: ListFilters | undefined;
  retentionDays?: number | undefined;
  files: { roots: string[]; maxBytes: number };
  log: Logger;
  client?: CortexClient;
  /** Shared by replicas: the account's 500 requests a minute hold for all of them together. */
  sharedRate?: SharedBuckets | undefined;
  /** Shared by replicas: deployed version lists and versions, read once by any of them. */
  schemaCache?: SchemaCache | undefined;
}

const STATUS_FILTER: Partial<Record<RunStatus, string>> = { queued: 'PENDING', running: 'RUNNING', completed: 'COMPLETED', failed: 'FAILED', cancelled: 'CANCELLED' };

/**
 * Cortex: own (and discoverable) workflows, every deployed version a tool; runs stream over SSE
 * with a change per step, and a stream that breaks off is followed by polling the run — never
 * by a second start.
 */
export class CortexProvider implements Provider {
  readonly name = 'cortex';
  readonly capabilities = { listWorkflows: true, versions: true, schema: true, cancel: true, history: true, stream: true, resume: false, replay: true, schedule: false, files: true };
  readonly runsOutliveProcess = true;
  readonly pollSchedule = { firstMs: 500, factor: 1.5, capMs: 5000, waitingMs: 60_000 };
  readonly pollBudgetPerSecond = 4;
  private readonly client: CortexClient;
  private readonly catalog: CortexCatalog;
  /** Streams opened by start/replay, handed to observe. */
  private readonly streams = new Map<string, OpenStream>();
  /** Runs being followed, so a cancel's answer reaches them at once and ends their stream. */
  private readonly observers = new Map<string, { onUpdate: (u: RunUpdate) => void; open: OpenStream }>();
  /** Which endpoints a workflow's runs live under (discoverable ones under /discover). */
  private readonly scopes = new Map<string, Scope>();

  constructor(private readonly opts: CortexProviderOptions) {
    this.client = opts.client ?? new CortexClient({ apiKey: opts.apiKey, appId: opts.appId, baseUrl: opts.baseUrl, log: opts.log, sharedRate: opts.sharedRate });
    this.catalog = new CortexCatalog(this.client, {
      discover: opts.discover ?? false, draft: opts.draft ?? false, versions: opts.versions ?? 'all', filters: opts.filters ?? {}, retentionDays: opts.retentionDays, log: opts.log,
      schemaCache: opts.schemaCache, cacheScope: `${opts.baseUrl ?? CORTEX_DEFAULT_BASE_URL} ${opts.appId ?? ''}`,
    });
  }

  async listWorkflows(signal?: AbortSignal, progress?: CatalogProgress): Promise<CatalogListing> {
    const scopeOf = (ws: Workflow[]): void => void ws.forEach((w) => this.scopes.set(w.id, this.catalog.info.get(`${w.id}/${w.latest}`)?.scope ?? 'own'));
    const listing = await this.catalog.list(signal, progress && ((ws) => (scopeOf(ws), progress(ws))));
    scopeOf(listing.workflows);
    return listing;
  }

  async start(req: StartRequest): Promise<Run> {
    const info = this.infoOf(req);
    const input = { ...(isPlainObject(req.input) ? req.input : {}) };
    let retention = this.defaultRetention();
    if (info.retentionArg && typeof input['retention'] === 'number') retention = daysToRetention(input['retention']);
    if (info.retentionArg) delete input['retention']; // ours, not the workflow's
    const roots = req.fileRoots ? { ...this.opts.files, roots: req.fileRoots } : this.opts.files;
    const { json, uploads, journaled } = await uploadsFor(input, info.fileFields, roots);
    const body: RunBody = { input: json, workflow_version_id: info.versionId, stream: true, ...(retention === undefined ? {} : { retention }) };
    const what = `start a run of ${req.workflow.id}`;
    const res = await this.withAbort(req.signal, (signal) => this.client.startRun(info.scope, req.workflow.id, body, uploads, signal));
    const run = await this.adopt(res.response, res.abort, req.workflow.id, journaled, what);
    return { ...run, version: req.version.key };
  }

  /**
   * After a lost answer: this workflow's recent runs that started after the call with the input
   * it sent (files and our `retention` argument aside). Discoverable workflows have no run list.
   */
  async findStarted(req: StartRequest, since: string, signal?: AbortSignal): Promise<Run[]> {
    const info = this.infoOf(req);
    if (info.scope === 'discover') return [];
    const skip = [...info.fileFields, ...(info.retentionArg ? ['retention'] : [])];
    const { runs } = await this.client.listRuns(req.workflow.id, { take: 50 }, signal);
    return runs
      .filter((r) => startedSince(r.created_at ?? r.started_at, since) && inputMatches(req.input, r.input, skip))
      .map((r) => ({ ...toRun(r, req.workflow.id, r.input ?? null), version: req.version.key }))
      .reverse(); // the list is newest first
  }

  private infoOf(req: StartRequest): VersionInfo {
    return this.catalog.info.get(`${req.workflow.id}/${req.version.key}`) ?? { scope: this.scopeOf(req.workflow.id), versionId: req.version.key, fileFields: [], retentionArg: false };
  }

  /** A new run of the same workflow from `stepKey` of an earlier run (Cortex replay). */
  async replay(run: Run, stepKey: string, retentionDays?: number): Promise<Run> {
    if (this.scopeOf(run.workflowId) === 'discover') throw new WorkflowError('unsupported', `Runs of discoverable workflows cannot be replayed (Cortex has no replay for them); start the workflow again instead.`);
    const retention = retentionDays === undefined ? this.defaultRetention() : daysToRetention(retentionDays);
    const res = await this.withAbort(undefined, (signal) => this.client.replay(run.workflowId, run.runId, { stepKey, stream: true, ...(retention === undefined ? {} : { retention }) }, signal));
    return this.adopt(res.response, res.abort, run.workflowId, run.input, `replay run ${run.runId}`);
  }

  /** The answer to a start: an event stream (kept for observe) or the run as JSON (blocking or background). */
  private async adopt(res: OpenResponse, abort: () => void, workflowId: string, input: unknown, what: string): Promise<Run> {
    if (res.contentType.includes('text/event-stream')) {
      const open = await openRunStream(res.body, abort, what);
      const run = toRun(CortexRun.parse(open.state), workflowId, input);
      this.streams.set(run.runId, open);
      return { ...run, input };
    }
    let text = '';
    try {
      for await (const piece of res.body) text += Buffer.from(piece).toString('utf8');
    } catch (err) {
      throw new WorkflowError('outcome_unknown', `The answer to ${what} broke off, so nothing was sent again: the run may or may not have started. Check the recent runs before starting it again.`, { detail: String(err) });
    }
    const parsed = CortexRun.safeParse(parseJsonOr(text, null));
    // The request arrived: whether a run started cannot be told from this answer.
    if (!parsed.success) throw new WorkflowError('outcome_unknown', `Cortex answered ${what} in an unexpected shape, so nothing was sent again: the run may or may not have started. Check the recent runs before starting it again.`, { detail: text.slice(0, 2000) });
    return { ...toRun(parsed.data, workflowId, input), input };
  }

  /** A start owns its request: the call's abort ends it while it starts; after that the run lives on. */
  private async withAbort(callSignal: AbortSignal | undefined, send: (signal: AbortSignal) => Promise<OpenResponse>): Promise<{ response: OpenResponse; abort: () => void }> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    callSignal?.addEventListener('abort', abort, { once: true });
    try {
      return { response: await send(controller.signal), abort };
    } finally {
      callSignal?.removeEventListener('abort', abort);
    }
  }

  /** Follows the stream opened by start; returns when it ends. The tracker polls on if the run is not over. */
  async observe(run: Run, onUpdate: (u: RunUpdate) => void, signal: AbortSignal): Promise<void> {
    const open = this.streams.get(run.runId);
    this.streams.delete(run.runId);
    if (!open) return; // not streamed (a blocking or background answer, or an earlier process's run)
    this.observers.set(run.runId, { onUpdate, open });
    try {
      const last = await followStream(open, onUpdate, signal, this.opts.log, `cortex run ${run.runId}`);
      const lastRun = runOfState(last);
      if (!(lastRun && isTerminal(statusOf(lastRun.status))) && !signal.aborted && !open.stopped) this.opts.log.info(`cortex run ${run.runId}: the stream ended before the run did; polling it`);
    } finally {
      this.observers.delete(run.runId);
    }
  }

  async poll(run: Run, signal: AbortSignal): Promise<RunUpdate & { status: RunStatus }> {
    try {
      return runUpdateOf(await this.client.getRun(run.workflowId, run.runId, signal));
    } catch (err) {
      // Cortex documents run, stream and cancel for discoverable workflows — no read. The
      // own-workflow route is tried; its 404 means the run cannot be read: say so and stop.
      // The run itself says so too (its app is not the workflow's), for a catalog not listed yet.
      const shared = this.scopeOf(run.workflowId) === 'discover' || (isPlainObject(run.raw) && run.raw['shared'] === true);
      if (err instanceof ProviderError && err.status === 404 && shared) return unreadableDiscoverRun();
      throw err;
    }
  }

  async cancel(run: Run): Promise<CancelOutcome> {
    const r = await this.client.cancel(this.scopeOf(run.workflowId), run.workflowId, run.runId);
    const status = statusOf(r.status);
    // The stream usually says so too; this makes sure the tracker hears it now, and that a
    // stream the platform leaves open after a cancel does not hold its connection.
    const following = this.observers.get(run.runId);
    if (status === 'cancelled' && following) {
      following.onUpdate({ status, error: r.error ?? 'cancelled', endedAt: r.ended_at ?? new Date().toISOString(), raw: { status: r.status } });
      following.open.stopped = true;
      following.open.abort();
    }
    return status === 'cancelled' || status === 'running' || status === 'queued' ? { accepted: true } : { accepted: false, note: `Cortex says the run is ${r.status}` };
  }

  async setRetention(run: Run, days: number): Promise<string> {
    if (this.scopeOf(run.workflowId) === 'discover') throw new WorkflowError('unsupported', `Retention applies to your own Cortex workflows only: run ${run.runId} belongs to the discoverable workflow ${run.workflowId}, shared by another app, and Cortex offers no retention change for it.`);
    const r = await this.client.setRetention(run.workflowId, run.runId, daysToRetention(days));
    const due = typeof r['retention_due_at'] === 'string' ? `; its data is due for deletion at ${r['retention_due_at']}` : days === -1 ? '; its data is kept' : '';
    return `Retention of run ${run.runId} set to ${days === -1 ? 'forever' : `${days} days`}${due}.`;
  }

  async history(q: HistoryRequest): Promise<{ runs: Run[]; nextCursor: string | null }> {
    // Cortex keeps run history per workflow; across workflows, the journal is what we have.
    if (!q.workflowId || this.scopeOf(q.workflowId) === 'discover') return { runs: [], nextCursor: null };
    const page = q.cursor ? Number(q.cursor) : undefined;
    const status = q.status ? STATUS_FILTER[q.status] : undefined;
    const r = await this.client.listRuns(q.workflowId, { page: Number.isFinite(page) ? page : undefined, take: q.limit, status, origin: q.origin }, q.signal);
    return { runs: r.runs.map((x) => toRun(x, q.workflowId!, x.input ?? null)), nextCursor: r.next === null ? null : String(r.next) };
  }

  async check(): Promise<DoctorCheck[]> {
    try {
      const count = await this.client.countWorkflows();
      return [{ name: 'cortex', ok: true, message: `API key accepted; ${count} workflows visible` }];
    } catch (err) {
      const refused = err instanceof ProviderError && (err.status === 401 || err.status === 403);
      return [{ name: 'cortex', ok: false, message: refused ? `the Cortex API key was refused (${err.status}); check CORTEX_API_KEY (and CORTEX_APP_ID if set)` : `Cortex is not reachable: ${(err as Error).message}` }];
    }
  }

  async close(): Promise<void> {
    for (const s of this.streams.values()) s.abort();
    this.streams.clear();
  }

  private scopeOf(workflowId: string): Scope {
    return this.scopes.get(workflowId) ?? 'own';
  }

  private defaultRetention(): Retention | undefined {
    return this.opts.retentionDays === undefined ? undefined : daysToRetention(this.opts.retentionDays);
  }
}

const UNREADABLE = 'Cortex offers no way to read a run of a discoverable workflow after its stream ends (reading it answered 404), so its outcome cannot be known here; look in Cortex itself. Do not start it again if it must run only once.';

function unreadableDiscoverRun(): RunUpdate & { status: RunStatus } {
  return { status: 'unknown', error: UNREADABLE, message: 'the stream ended early and Cortex cannot be asked about this run', final: true };
}

/** Days as Cortex's retention policy; -1 keeps the data forever. */
function daysToRetention(days: number): Retention {
  return days < 0 ? -1 : { max_age_in_seconds: Math.round(days * 86_400) };
}
