import { watch, type FSWatcher } from 'node:fs';
import { existsSync } from 'node:fs';
import { WorkflowError } from '../../core/errors.js';
import { idTime, randomHex } from '../../core/random.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { CancelOutcome, CatalogListing, DoctorCheck, Provider, Run, RunUpdate, StartRequest } from '../types.js';
import { discoverLocal, type LocalCatalog } from './discover.js';
import { executeCommand, executeModule } from './execute.js';
import { InProcessRuns, type InProcessRun } from '../in-process.js';
import type { LocalWorkflow } from './definition.js';

type StopReason = { kind: 'cancel' | 'shutdown' | 'timeout'; text: string };

export interface LocalProviderOptions {
  dir: string;
  watch: boolean;
  log: Logger;
  clock?: Clock;
}

/** Sortable by time, unique enough for one machine: `lr_<time36><random>`. */
export function newLocalRunId(now: number): string {
  return `lr_${idTime(now).toString(36).padStart(9, '0')}${randomHex(5)}`;
}

export class LocalProvider implements Provider {
  readonly name = 'local';
  readonly capabilities = { listWorkflows: true, versions: true, schema: true, cancel: true, history: false, stream: true, resume: false, replay: false, schedule: false, files: false };
  readonly runsOutliveProcess = false;
  private catalog: LocalCatalog | null = null;
  private readonly executions = new InProcessRuns();
  private watcher: FSWatcher | null = null;
  private reported = new Set<string>();
  private readonly clock: Clock;

  constructor(private readonly opts: LocalProviderOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  async listWorkflows(): Promise<CatalogListing> {
    if (!existsSync(this.opts.dir)) {
      // No folder is no local workflows, not a failure (the default ./workflows often does not exist);
      // said once, at info, and by doctor.
      if (!this.reported.has('missing')) this.opts.log.info(`no local workflows: ${this.opts.dir} does not exist (pass --local DIR)`);
      this.reported = new Set(['missing']);
      this.catalog = { workflows: [], definitions: new Map(), problems: [] };
      return { workflows: [], problems: [] };
    }
    this.catalog = await discoverLocal(this.opts.dir);
    // Each problem is logged when it first appears, not on every re-scan.
    const now = new Set(this.catalog.problems.map((p) => `${p.where}: ${p.message}`));
    for (const line of now) if (!this.reported.has(line)) this.opts.log.warn(`local workflow ${line}`);
    this.reported = now;
    return { workflows: this.catalog.workflows, problems: this.catalog.problems };
  }

  async start(req: StartRequest): Promise<Run> {
    const def = this.catalog?.definitions.get(req.workflow.id)?.get(req.version.key);
    if (!def) throw new WorkflowError('not_found', `Local workflow ${req.workflow.id} version ${req.version.key} is no longer in ${this.opts.dir}; list the tools again.`);
    const now = new Date(this.clock.now()).toISOString();
    const run: Run = {
      provider: 'local', workflowId: req.workflow.id, version: req.version.key, runId: newLocalRunId(this.clock.now()),
      status: 'running', input: req.input, output: null, error: null, createdAt: now, startedAt: now, endedAt: null,
    };
    const exec = this.executions.add(run);
    // Next turn: the tracker journals and observes the run before any of its events can happen.
    setImmediate(() => void this.execute(exec, def));
    return { ...run };
  }

  observe(run: Run, onUpdate: (u: RunUpdate) => void, signal: AbortSignal): Promise<void> {
    return this.executions.observe(run.runId, onUpdate, signal, () => new Date(this.clock.now()).toISOString());
  }

  async cancel(run: Run): Promise<CancelOutcome> {
    const stopped = this.executions.abort(run.runId, { kind: 'cancel', text: 'cancelled by request' } satisfies StopReason);
    return stopped ? { accepted: true } : { accepted: false, note: 'the run is not in progress in this server' };
  }

  onCatalogChange(listener: () => void): () => void {
    if (!this.opts.watch || !existsSync(this.opts.dir)) return () => {};
    let timer: NodeJS.Timeout | undefined;
    try {
      this.watcher = watch(this.opts.dir, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(listener, 150);
      });
      this.watcher.on('error', (err) => this.opts.log.warn(`watching ${this.opts.dir} stopped: ${err.message}; the catalog is still re-read on the refresh interval`));
    } catch (err) {
      this.opts.log.warn(`cannot watch ${this.opts.dir} (${(err as Error).message}); the catalog is re-read on the refresh interval`);
    }
    return () => {
      clearTimeout(timer);
      this.watcher?.close();
      this.watcher = null;
    };
  }

  async check(): Promise<DoctorCheck[]> {
    if (!existsSync(this.opts.dir)) {
      return [{ name: 'local.dir', ok: false, message: `${this.opts.dir} does not exist; create it or pass --local DIR (try --local examples/workflows)` }];
    }
    const listing = await this.listWorkflows();
    const versions = listing.workflows.reduce((n, w) => n + w.versions.length, 0);
    const checks: DoctorCheck[] = [{ name: 'local.dir', ok: true, message: `${this.opts.dir}: ${listing.workflows.length} workflows, ${versions} versions` }];
    for (const p of listing.problems) checks.push({ name: 'local.file', ok: false, message: `${p.where}: ${p.message}` });
    return checks;
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.executions.abortAll({ kind: 'shutdown', text: 'server stopped while the run was in progress' } satisfies StopReason);
  }

  private async execute(exec: InProcessRun, def: LocalWorkflow): Promise<void> {
    const { run, controller } = exec;
    const timeout = def.timeoutSeconds
      ? setTimeout(() => controller.abort({ kind: 'timeout', text: `timed out after ${def.timeoutSeconds} s` } satisfies StopReason), def.timeoutSeconds * 1000)
      : undefined;
    const log = this.opts.log;
    const where = `local run ${run.runId} (${def.name})`;
    const opts = {
      runId: run.runId,
      signal: controller.signal,
      workflowSignal: () => controller.realSignal(),
      progress: (message: string, fraction?: number) => {
        if (!run.endedAt) this.executions.emit(exec, { message: String(message), ...(typeof fraction === 'number' && Number.isFinite(fraction) ? { fraction: Math.max(0, Math.min(1, fraction)) } : {}) });
      },
      log: { debug: (m: string) => log.debug(`${where}: ${m}`), info: (m: string) => log.info(`${where}: ${m}`), warn: (m: string) => log.warn(`${where}: ${m}`), error: (m: string) => log.error(`${where}: ${m}`) },
    };
    try {
      const output = await (def.kind === 'module' ? executeModule(def, run.input, opts) : executeCommand(def, run.input, opts));
      this.executions.finish(exec, controller.signal.aborted ? stopUpdate(controller.signal.reason) : { status: 'completed', output, error: null }, this.iso());
    } catch (err) {
      this.executions.finish(exec, controller.signal.aborted ? stopUpdate(controller.signal.reason) : { status: 'failed', error: errorText(err) }, this.iso());
    } finally {
      clearTimeout(timeout);
    }
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function stopUpdate(reason: unknown): RunUpdate {
  const r = reason as Partial<StopReason> | undefined;
  if (r?.kind === 'cancel') return { status: 'cancelled', error: r.text ?? 'cancelled' };
  return { status: 'failed', error: r?.text ?? 'stopped' };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : `the workflow threw ${JSON.stringify(err) ?? String(err)}`;
}
