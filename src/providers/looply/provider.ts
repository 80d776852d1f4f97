import { systemClock, type Clock } from '../../core/clock.js';
import { WorkflowError } from '../../core/errors.js';
import { semaphore } from '../../core/pool.js';
import type { Logger } from '../../core/log.js';
import { ProviderError } from '../../http/errors.js';
import type { CancelOutcome, CatalogListing, CatalogProblem, CatalogProgress, DoctorCheck, JSONSchema, Provider, Run, RunStatus, RunUpdate, StartRequest, Workflow, WorkflowVersion } from '../types.js';
import { readThrough, type SchemaCache } from '../schema-cache.js';
import { LOOPLY_DEFAULT_BASE_URL, LooplyClient } from './client.js';
import { inputMatches, startedSince } from '../match.js';
import { classify, hasOutput, inputSchemaOf, isoFrom, stepsOf, toRun, versionOf } from './map.js';
import { looplyChecks } from './doctor.js';
import { SharedStructure, structureOf, structureOfDetails, type Structure } from './structure.js';
import { SchemaResponse, type Execution } from './wire.js';

export interface LooplyProviderOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  profile?: string | undefined;
  stateMap?: Record<string, RunStatus> | undefined;
  log: Logger;
  clock?: Clock;
  /** Platform requests per second shared by all Looply polling. */
  requestsPerSecond?: number;
  client?: LooplyClient;
  /** Shared by replicas: ACTIVE versions' schemas, read once by any of them. */
  schemaCache?: SchemaCache | undefined;
}

const SCHEMA_CONCURRENCY = 32;

/** What a listing keeps of a workflow's ACTIVE version rows. */
interface Seen {
  name?: string | undefined;
  description?: string | undefined;
  /** The first version flagged `latest`. */
  flagged?: number;
  versions: WorkflowVersion[];
  /** The workflow as last built from them. */
  built?: Workflow;
}

function workflowOf(id: string, s: Seen): Workflow {
  const sorted = [...s.versions].sort((a, b) => Number(a.key) - Number(b.key));
  const latest = s.flagged !== undefined && sorted.some((v) => v.key === String(s.flagged)) ? String(s.flagged) : sorted[sorted.length - 1]!.key;
  return { provider: 'looply', id, name: s.name ?? id, versions: sorted, latest, ...(s.description ? { description: s.description } : {}) };
}

/** Looply: every ACTIVE workflow version as a tool; runs polled to the end, waits resumable. */
export class LooplyProvider implements Provider {
  readonly name = 'looply';
  readonly capabilities = { listWorkflows: true, versions: true, schema: true, cancel: true, history: true, stream: false, resume: true, replay: false, schedule: true, files: false };
  readonly runsOutliveProcess = true;
  readonly resumeHint = 'call resume_run with {"provider": "looply", "run_id": …, "payload": {…}, "source": "TEAMS" or "SAP"}';
  private readonly client: LooplyClient;
  private readonly clock: Clock;
  readonly pollBudgetPerSecond: number;
  /** ACTIVE versions are locked, so their schemas are fetched once. */
  private readonly schemas = new Map<string, Promise<WorkflowVersion>>();
  /** Each ACTIVE version's states and connections (locked once active, so read once). */
  private readonly structures = new Map<string, Promise<Structure | null>>();
  /** Runs this server terminated: Looply's execution may not say so (no status field). */
  private readonly terminated = new Set<string>();
  /** Versions whose tools carry our `profile` argument (their own schema has no such field). */
  private readonly withProfileArg = new Set<string>();

  constructor(private readonly opts: LooplyProviderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.client = opts.client ?? new LooplyClient({ apiKey: opts.apiKey, baseUrl: opts.baseUrl, log: opts.log });
    this.pollBudgetPerSecond = opts.requestsPerSecond ?? 5;
  }

  /**
   * Pages of version rows in order (lastKey), each ACTIVE version's schema read meanwhile; a
   * workflow is handed to `progress` each time one of its versions is read. Only what the tools
   * need is kept of a row, never the row itself.
   */
  async listWorkflows(signal?: AbortSignal, progress?: CatalogProgress): Promise<CatalogListing> {
    const problems: CatalogProblem[] = [];
    const seen = new Map<string, Seen>();
    const pending: Array<Promise<void>> = [];
    const limit = semaphore(SCHEMA_CONCURRENCY);
    let key: Record<string, string | number> | undefined;
    let rows = 0;
    // Paging is sequential (lastKey); schemas of the rows already seen are fetched meanwhile.
    do {
      const page = await this.client.listWorkflows(key, signal);
      for (const row of page.items) {
        rows++;
        const v = versionOf(row);
        if (row.workflow_status !== 'ACTIVE' || v === null) continue;
        const s = seen.get(row.workflow_id) ?? { versions: [] };
        seen.set(row.workflow_id, s);
        s.name ??= row.workflow_name || undefined;
        s.description ??= row.description || undefined;
        if (row.latest && s.flagged === undefined) s.flagged = v;
        pending.push(limit(async () => {
          try {
            s.versions.push(await this.version(row.workflow_id, v, signal));
            s.built = workflowOf(row.workflow_id, s);
            progress?.([s.built]);
          } catch (err) {
            problems.push({ where: `looply ${row.workflow_id} v${v}`, message: (err as Error).message });
          }
        }));
      }
      key = page.lastKey ?? undefined;
    } while (key && rows < 100_000);
    await Promise.all(pending);
    // The objects handed over while reading: the catalog knows them and rebuilds nothing.
    const workflows = [...seen.values()].flatMap((s) => (s.built ? [s.built] : []));
    return { workflows, problems };
  }

  private version(id: string, version: number, signal?: AbortSignal): Promise<WorkflowVersion> {
    const key = `${id}/${version}`;
    let hit = this.schemas.get(key);
    if (!hit) {
      const fetch = (): Promise<SchemaResponse> => this.client.getSchema(id, version, signal);
      const cacheKey = `looply ${this.opts.baseUrl ?? LOOPLY_DEFAULT_BASE_URL} schema ${key}`;
      hit = readThrough(this.opts.schemaCache, cacheKey, fetch, (v) => SchemaResponse.safeParse(v).data, this.opts.log).then(({ item }) => {
        const { schema, note } = inputSchemaOf(item.workflow_schema, item.workflow_mock_payload);
        return { key: String(version), inputSchema: this.addProfileArg(key, schema), ...(note ? { note } : {}) };
      });
      hit.catch(() => this.schemas.delete(key)); // a failure is not cached
      this.schemas.set(key, hit);
    }
    return hit;
  }

  /** With a configured profile, each tool may pick another environment-variable profile per call. */
  private addProfileArg(key: string, schema: JSONSchema): JSONSchema {
    const props = schema['properties'];
    if (!this.opts.profile || schema['type'] !== 'object' || (props && typeof props === 'object' && 'profile' in props)) return schema;
    this.withProfileArg.add(key);
    const profile = { type: 'string', minLength: 1, description: `Looply environment-variable profile for this run (default "${this.opts.profile}").` };
    return { ...schema, properties: { ...(props as object | undefined), profile } };
  }

  /** The body and profile of a trigger: our `profile` argument goes in the query, not the body. */
  private triggerOf(req: StartRequest): { version: number; payload: unknown; profile: string | undefined } {
    const version = Number(req.version.key);
    let payload = req.input;
    let profile = this.opts.profile;
    if (this.withProfileArg.has(`${req.workflow.id}/${version}`) && payload && typeof payload === 'object' && 'profile' in payload) {
      const { profile: chosen, ...rest } = payload as Record<string, unknown>;
      profile = typeof chosen === 'string' ? chosen : profile;
      payload = rest;
    }
    return { version, payload, profile };
  }

  /**
   * After a lost answer: executions of this workflow version created after the call whose input
   * payload is the one sent (the history has no payloads, so each candidate is read; twenty at most).
   */
  async findStarted(req: StartRequest, since: string, signal?: AbortSignal): Promise<Run[]> {
    const { version, payload } = this.triggerOf(req);
    // Newest first: pages are read while they still hold executions from after the call.
    const rows: Execution[] = [];
    let key: Record<string, string | number> | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await this.client.executionHistory(req.workflow.id, key, signal);
      const fresh = page.items.filter((e) => startedSince(isoFrom(e.created_on), since));
      rows.push(...fresh);
      key = page.lastKey ?? undefined;
      if (!key || fresh.length < page.items.length) break;
    }
    const recent = rows.filter((e) => e.workflow_version === undefined || e.workflow_version === version).slice(0, 20);
    const found: Run[] = [];
    for (const row of recent.reverse()) {
      const { item } = await this.client.getExecution(row.workflow_id, row.workflow_execution_id, signal);
      if (inputMatches(payload, item.workflow_input_payload)) found.push({ ...toRun(item, this.opts.stateMap), version: req.version.key, endedAt: null, status: 'running', output: null, error: null });
    }
    return found;
  }

  async start(req: StartRequest): Promise<Run> {
    const { version, payload, profile } = this.triggerOf(req);
    const started = await this.client.trigger(req.workflow.id, version, payload, { profile, signal: req.signal });
    const now = new Date(this.clock.now()).toISOString();
    return {
      provider: 'looply', workflowId: req.workflow.id, version: req.version.key, runId: started.looply_execution_id, status: 'running',
      input: payload, output: null, error: null, createdAt: now, startedAt: now, endedAt: null,
    };
  }

  async poll(run: Run, signal: AbortSignal): Promise<RunUpdate & { status: RunStatus }> {
    const { item } = await this.client.getExecution(run.workflowId, run.runId, signal);
    // The structure is needed only to judge an output: is the current state the last one?
    const structure = hasOutput(item) && !structureOfDetails(item.workflow_details) ? await this.structure(item.workflow_id, item.workflow_version ?? Number(run.version), signal) : null;
    let { status, note } = classify(item, this.opts.stateMap, structure);
    if (this.terminated.has(run.runId) && (status === 'running' || status === 'waiting')) (status = 'cancelled'), (note = null);
    if (status !== 'running' && status !== 'waiting') this.terminated.delete(run.runId);
    const mapped = toRun(item, this.opts.stateMap, structure);
    const state = item.workflow_current_state;
    const steps = stepsOf(item);
    return {
      status, output: status === 'completed' ? mapped.output : null, error: status === 'cancelled' ? 'terminated' : mapped.error, raw: mapped.raw,
      // No end time on a single execution: the tracker takes the time it first sees the end.
      ...(mapped.endedAt ? { endedAt: mapped.endedAt } : {}),
      ...(state || note ? { message: [state ? `state "${state}"` : null, note].filter(Boolean).join(' · ') } : {}),
      ...(steps.length ? { steps } : {}),
    };
  }

  /**
   * `getWorkflowById`'s steps and connections, once per version (an ACTIVE one's shared with other
   * replicas through the schema cache); a failed read is not kept.
   */
  private structure(id: string, version: number, signal: AbortSignal): Promise<Structure | null> {
    if (!Number.isFinite(version)) return Promise.resolve(null);
    const key = `${id}/${version}`;
    let hit = this.structures.get(key);
    if (!hit) {
      const fetch = async (): Promise<SharedStructure> => {
        const { item } = await this.client.getWorkflow(id, version, signal);
        const s = structureOf(item.workflow_steps, item.workflow_connections);
        return { stable: !item.workflow_status || item.workflow_status === 'ACTIVE', names: s ? [...s.names] : null, last: s ? [...s.last] : [] };
      };
      const cacheKey = `looply ${this.opts.baseUrl ?? LOOPLY_DEFAULT_BASE_URL} structure ${key}`;
      hit = readThrough(this.opts.schemaCache, cacheKey, fetch, (v) => SharedStructure.safeParse(v).data, this.opts.log, (v) => v.stable).then((v) => {
        if (!v.stable) this.structures.delete(key); // a draft may still change
        return v.names ? { names: new Set(v.names), last: new Set(v.last) } : null;
      });
      hit.catch((err: Error) => {
        this.structures.delete(key);
        this.opts.log.warn(`looply: could not read the structure of ${key}: ${err.message}`);
      });
      this.structures.set(key, hit);
    }
    return hit.catch(() => null);
  }

  async history(q: { workflowId?: string | undefined; cursor?: string | undefined; limit: number; signal?: AbortSignal | undefined }): Promise<{ runs: Run[]; nextCursor: string | null }> {
    let key = q.cursor ? (JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as Record<string, string | number>) : undefined;
    const runs: Run[] = [];
    // Follow lastKey until the page is full (pages hold at most 30), a few pages at most per call.
    for (let pages = 0; pages < 5 && runs.length < q.limit; pages++) {
      const page = q.workflowId ? await this.client.executionHistory(q.workflowId, key, q.signal) : await this.client.organizationExecutions(key, q.signal);
      runs.push(...page.items.map((e) => toRun(e, this.opts.stateMap)));
      key = page.lastKey ?? undefined;
      if (!key) break;
    }
    return { runs, nextCursor: key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null };
  }

  async cancel(run: Run): Promise<CancelOutcome> {
    await this.client.terminate(run.runId, 'Terminated through workflows-mcp at the request of the MCP client.');
    this.terminated.add(run.runId);
    return { accepted: true };
  }

  async resume(run: Run, payload: Record<string, unknown>, source: string): Promise<string> {
    try {
      const r = await this.client.resume(run.runId, payload, source === 'SAP' ? 'SAP' : 'TEAMS');
      return r.message;
    } catch (err) {
      if (err instanceof ProviderError && err.status === 409) throw new WorkflowError('conflict', `Run ${run.runId} is not waiting for a response, so it cannot be resumed. Call get_run to see its state.`);
      throw err;
    }
  }

  async setSchedule(workflowId: string, version: string, action: 'pause' | 'play'): Promise<string> {
    const r = await this.client.toggleSchedule(workflowId, Number(version), action === 'pause' ? 'PAUSE' : 'PLAY');
    return `The schedule of ${workflowId} v${version} is now ${r.status ?? (action === 'pause' ? 'PAUSED' : 'ACTIVE')}.`;
  }

  check(): Promise<DoctorCheck[]> {
    return looplyChecks({ client: this.client, clock: this.clock, stateMap: this.opts.stateMap, structure: (id, version, signal) => this.structure(id, version, signal) });
  }

  async close(): Promise<void> {}
}
