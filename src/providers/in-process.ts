import { LocalAbortController } from '../core/abort.js';
import { extend } from '../core/objects.js';
import type { Run, RunUpdate } from './types.js';

/** A run that lives inside this process (a local workflow, a synchronous platform call). */
export interface InProcessRun {
  run: Run;
  /** Not an AbortController: see LocalAbortController (`realSignal()` for a workflow's own code). */
  controller: LocalAbortController;
  listeners: Set<(u: RunUpdate) => void>;
}

const KEEP_FINISHED_MS = 60_000;

/** What an ended run leaves for a late observer: its outcome, not its input, signal or listeners. */
type Outcome = Required<Pick<RunUpdate, 'status' | 'output' | 'error' | 'endedAt'>>;

/**
 * The runs of one provider that execute in this process: started, watched, aborted; a minute
 * after they end a late observer still learns the outcome. Only the outcome is kept, swept by one
 * timer: a whole run (input, AbortController, the execution's closures) and a timer per call held
 * for a minute were most of what each call left to the garbage collector.
 */
export class InProcessRuns {
  private readonly runs = new Map<string, InProcessRun>();
  /** Ended runs' outcomes, oldest first, with when they ended (ms). */
  private readonly ended = new Map<string, { outcome: Outcome; at: number }>();
  private sweeper: NodeJS.Timeout | null = null;

  add(run: Run): InProcessRun {
    const entry: InProcessRun = { run, controller: new LocalAbortController(), listeners: new Set() };
    this.runs.set(run.runId, entry);
    return entry;
  }

  /** A run in progress. */
  get(runId: string): InProcessRun | undefined {
    return this.runs.get(runId);
  }

  /** Applies a change and tells every observer. */
  emit(entry: InProcessRun, update: RunUpdate): void {
    const r = entry.run;
    if (update.status !== undefined) r.status = update.status;
    if (update.output !== undefined) r.output = update.output;
    if (update.error !== undefined) r.error = update.error;
    if (update.endedAt !== undefined) r.endedAt = update.endedAt;
    for (const l of [...entry.listeners]) l(update);
  }

  /** Ends a run once (later calls are ignored); its outcome is kept a minute. */
  finish(entry: InProcessRun, update: RunUpdate, endedAt: string): void {
    if (entry.run.endedAt) return;
    this.emit(entry, extend(update, { endedAt }));
    const r = entry.run;
    if (this.runs.get(r.runId) === entry) this.runs.delete(r.runId);
    this.ended.set(r.runId, { outcome: { status: r.status, output: r.output, error: r.error, endedAt }, at: Date.now() });
    this.sweeper ??= setTimeout(() => this.sweep(), KEEP_FINISHED_MS).unref();
  }

  /** Forgets the outcomes older than a minute; comes back for the next one to expire. */
  private sweep(): void {
    this.sweeper = null;
    const now = Date.now();
    for (const [id, e] of this.ended) {
      const left = e.at + KEEP_FINISHED_MS - now;
      if (left > 0) {
        this.sweeper = setTimeout(() => this.sweep(), left).unref();
        return;
      }
      this.ended.delete(id);
    }
  }

  /** Calls `onUpdate` with each change until the run ends; a run this process does not have died with an earlier one. */
  observe(runId: string, onUpdate: (u: RunUpdate) => void, signal: AbortSignal, now: () => string): Promise<void> {
    const entry = this.runs.get(runId);
    if (!entry) {
      onUpdate(this.ended.get(runId)?.outcome ?? { status: 'failed', error: 'server stopped while the run was in progress', endedAt: now() });
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        entry.listeners.delete(listener);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const listener = (u: RunUpdate): void => {
        onUpdate(u);
        if (u.endedAt) done();
      };
      entry.listeners.add(listener);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Aborts a run still in progress; false when there is none. */
  abort(runId: string, reason?: unknown): boolean {
    const entry = this.runs.get(runId);
    if (!entry || entry.run.endedAt) return false;
    entry.controller.abort(reason);
    return true;
  }

  abortAll(reason?: unknown): void {
    for (const e of this.runs.values()) if (!e.run.endedAt) e.controller.abort(reason);
  }
}
