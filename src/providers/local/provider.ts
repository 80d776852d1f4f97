import { watch, type FSWatcher } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { WorkflowError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { CancelOutcome, CatalogListing, DoctorCheck, Provider, Run, RunUpdate, StartRequest } from '../types.js';
import { discoverLocal, type LocalCatalog } from './discover.js';
import { executeCommand, executeModule } from './execute.js';
import type { LocalWorkflow } from './definition.js';

type StopReason = { kind: 'cancel' | 'shutdown' | 'timeout'; text: string };

interface Execution {
  run: Run;
  controller: AbortController;
  listeners: Set<(u: RunUpdate) => void>;
}

export interface LocalProviderOptions {
  dir: string;
  watch: boolean;
  log: Logger;
  clock?: Clock;
}

/** Sortable by time, unique enough for one machine: `lr_<time36><random>`. */
export function newLocalRunId(now: number): string {
  return `lr_${now.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
}

const KEEP_FINISHED_MS = 60_000;

export class LocalProvider implements Provider {
  readonly name = 'local';
  readonly capabilities = { listWorkflows: true, versions: true, schema: true, cancel: true, history: false, stream: true, resume: false, replay: false, schedule: false, files: false };
  readonly runsOutliveProcess = false;
  private catalog: LocalCatalog | null = null;
  private readonly executions = new Map<string, Execution>();
  private watcher: FSWatcher | null = null;
  private reported = new Set<string>();
  private readonly clock: Clock;

  constructor(private readonly opts: LocalProviderOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  async listWorkflows(): Promise<CatalogListing> {
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
    const exec: Execution = { run, controller: new AbortController(), listeners: new Set() };
    this.executions.set(run.runId, exec);
    // Next turn: the tracker journals and observes the run before any of its events can happen.
    setImmediate(() => void this.execute(exec, def));
    return { ...run };
  }

  observe(run: Run, onUpdate: (u: RunUpdate) => void, signal: AbortSignal): Promise<void> {
    const exec = this.executions.get(run.runId);
    if (!exec) {
      onUpdate({ status: 'failed', error: 'server stopped while the run was in progress', endedAt: new Date(this.clock.now()).toISOString() });
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        exec.listeners.delete(listener);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const listener = (u: RunUpdate): void => {
        onUpdate(u);
        if (u.endedAt) done();
      };
      if (exec.run.endedAt) return (onUpdate(snapshot(exec.run)), resolve());
      exec.listeners.add(listener);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async cancel(run: Run): Promise<CancelOutcome> {
    const exec = this.executions.get(run.runId);
    if (!exec || exec.run.endedAt) return { accepted: false, note: 'the run is not in progress in this server' };
    exec.controller.abort({ kind: 'cancel', text: 'cancelled by request' } satisfies StopReason);
    return { accepted: true };
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
    for (const exec of this.executions.values()) {
      if (!exec.run.endedAt) exec.controller.abort({ kind: 'shutdown', text: 'server stopped while the run was in progress' } satisfies StopReason);
    }
  }

  private async execute(exec: Execution, def: LocalWorkflow): Promise<void> {
    const { run, controller } = exec;
    const timeout = def.timeoutSeconds
      ? setTimeout(() => controller.abort({ kind: 'timeout', text: `timed out after ${def.timeoutSeconds} s` } satisfies StopReason), def.timeoutSeconds * 1000)
      : undefined;
    const log = this.opts.log;
    const where = `local run ${run.runId} (${def.name})`;
    const opts = {
      runId: run.runId,
      signal: controller.signal,
      progress: (message: string, fraction?: number) => {
        if (!run.endedAt) this.emit(exec, { message: String(message), ...(typeof fraction === 'number' && Number.isFinite(fraction) ? { fraction: Math.max(0, Math.min(1, fraction)) } : {}) });
      },
      log: { debug: (m: string) => log.debug(`${where}: ${m}`), info: (m: string) => log.info(`${where}: ${m}`), warn: (m: string) => log.warn(`${where}: ${m}`), error: (m: string) => log.error(`${where}: ${m}`) },
    };
    try {
      const output = await (def.kind === 'module' ? executeModule(def, run.input, opts) : executeCommand(def, run.input, opts));
      this.finish(exec, controller.signal.aborted ? stopUpdate(controller.signal.reason) : { status: 'completed', output, error: null });
    } catch (err) {
      this.finish(exec, controller.signal.aborted ? stopUpdate(controller.signal.reason) : { status: 'failed', error: errorText(err) });
    } finally {
      clearTimeout(timeout);
    }
  }

  private finish(exec: Execution, update: RunUpdate): void {
    if (exec.run.endedAt) return;
    this.emit(exec, { ...update, endedAt: new Date(this.clock.now()).toISOString() });
    setTimeout(() => this.executions.delete(exec.run.runId), KEEP_FINISHED_MS).unref();
  }

  private emit(exec: Execution, update: RunUpdate): void {
    Object.assign(exec.run, pickRunFields(update));
    for (const l of [...exec.listeners]) l(update);
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

function pickRunFields(u: RunUpdate): Partial<Run> {
  const out: Partial<Run> = {};
  if (u.status !== undefined) out.status = u.status;
  if (u.output !== undefined) out.output = u.output;
  if (u.error !== undefined) out.error = u.error;
  if (u.endedAt !== undefined) out.endedAt = u.endedAt;
  return out;
}

function snapshot(run: Run): RunUpdate {
  return { status: run.status, output: run.output, error: run.error, endedAt: run.endedAt };
}
