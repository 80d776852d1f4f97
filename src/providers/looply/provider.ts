import { systemClock, type Clock } from '../../core/clock.js';
import { WorkflowError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { ProviderError } from '../../http/errors.js';
import type { CancelOutcome, CatalogListing, CatalogProblem, DoctorCheck, Provider, Run, RunStatus, RunUpdate, StartRequest, Workflow, WorkflowVersion } from '../types.js';
import { LooplyClient } from './client.js';
import { inputSchemaOf, stepsOf, toRun, versionOf } from './map.js';
import type { WorkflowSummary } from './wire.js';

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
}

const SCHEMA_CONCURRENCY = 8;

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

  constructor(private readonly opts: LooplyProviderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.client = opts.client ?? new LooplyClient({ apiKey: opts.apiKey, baseUrl: opts.baseUrl, log: opts.log });
    this.pollBudgetPerSecond = opts.requestsPerSecond ?? 5;
  }

  async listWorkflows(signal?: AbortSignal): Promise<CatalogListing> {
    const rows: WorkflowSummary[] = [];
    let key: Record<string, string | number> | undefined;
    do {
      const page = await this.client.listWorkflows(key, signal);
      rows.push(...page.items);
      key = page.lastKey ?? undefined;
    } while (key && rows.length < 100_000);
    const byId = new Map<string, WorkflowSummary[]>();
    for (const r of rows) if (r.workflow_status === 'ACTIVE' && versionOf(r) !== null) byId.set(r.workflow_id, [...(byId.get(r.workflow_id) ?? []), r]);
    const problems: CatalogProblem[] = [];
    const jobs = [...byId.entries()].flatMap(([id, vs]) => vs.map((row) => ({ id, row })));
    const versions = new Map<string, WorkflowVersion[]>();
    await inBatches(jobs, SCHEMA_CONCURRENCY, async ({ id, row }) => {
      try {
        const v = await this.version(id, versionOf(row)!, signal);
        versions.set(id, [...(versions.get(id) ?? []), v]);
      } catch (err) {
        problems.push({ where: `looply ${id} v${versionOf(row)}`, message: (err as Error).message });
      }
    });
    const workflows: Workflow[] = [];
    for (const [id, vs] of versions) {
      const sorted = vs.sort((a, b) => Number(a.key) - Number(b.key));
      const rowsOf = byId.get(id)!;
      const flagged = rowsOf.find((r) => r.latest);
      const latest = flagged && sorted.some((v) => v.key === String(versionOf(flagged))) ? String(versionOf(flagged)) : sorted[sorted.length - 1]!.key;
      const name = rowsOf.find((r) => r.workflow_name)?.workflow_name ?? id;
      const description = rowsOf.find((r) => r.description)?.description;
      workflows.push({ provider: 'looply', id, name, versions: sorted, latest, ...(description ? { description } : {}) });
    }
    return { workflows, problems };
  }

  private version(id: string, version: number, signal?: AbortSignal): Promise<WorkflowVersion> {
    const key = `${id}/${version}`;
    let hit = this.schemas.get(key);
    if (!hit) {
      hit = this.client.getSchema(id, version, signal).then(({ item }) => {
        const { schema, note } = inputSchemaOf(item.workflow_schema, item.workflow_mock_payload);
        return { key: String(version), inputSchema: schema, ...(note ? { note } : {}) };
      });
      hit.catch(() => this.schemas.delete(key)); // a failure is not cached
      this.schemas.set(key, hit);
    }
    return hit;
  }

  async start(req: StartRequest): Promise<Run> {
    const version = Number(req.version.key);
    const started = await this.client.trigger(req.workflow.id, version, req.input, { profile: this.opts.profile, signal: req.signal });
    const now = new Date(this.clock.now()).toISOString();
    return {
      provider: 'looply', workflowId: req.workflow.id, version: req.version.key, runId: started.looply_execution_id, status: 'running',
      input: req.input, output: null, error: null, createdAt: now, startedAt: now, endedAt: null,
    };
  }

  async poll(run: Run, signal: AbortSignal): Promise<RunUpdate & { status: RunStatus }> {
    const { item } = await this.client.getExecution(run.workflowId, run.runId, signal);
    const mapped = toRun(item, this.opts.stateMap);
    const state = item.workflow_current_state;
    const steps = stepsOf(item);
    return {
      status: mapped.status, output: mapped.output, error: mapped.error, endedAt: mapped.endedAt, raw: mapped.raw,
      ...(state ? { message: `state "${state}"` } : {}),
      ...(steps.length ? { steps } : {}),
    };
  }

  async cancel(run: Run): Promise<CancelOutcome> {
    await this.client.terminate(run.runId, 'Terminated through workflows-mcp at the request of the MCP client.');
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

  async check(): Promise<DoctorCheck[]> {
    try {
      const page = await this.client.listWorkflows();
      return [{ name: 'looply', ok: true, message: `API key accepted; ${page.items.length}${page.lastKey ? '+' : ''} workflow versions visible` }];
    } catch (err) {
      const refused = err instanceof ProviderError && (err.status === 403 || err.status === 401);
      return [{ name: 'looply', ok: false, message: refused ? 'the Looply API key was refused (403); check LOOPLY_API_KEY' : `Looply is not reachable: ${(err as Error).message}` }];
    }
  }

  async close(): Promise<void> {}
}

async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}
