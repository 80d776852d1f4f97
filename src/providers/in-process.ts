import type { Run, RunUpdate } from './types.js';

/** A run that lives inside this process (a local workflow, a synchronous platform call). */
export interface InProcessRun {
  run: Run;
  controller: AbortController;
  listeners: Set<(u: RunUpdate) => void>;
}

const KEEP_FINISHED_MS = 60_000;

/**
 * The runs of one provider that execute in this process: started, watched, aborted, and kept
 * a minute after they end so a late observer still learns the outcome.
 */
export class InProcessRuns {
  private readonly runs = new Map<string, InProcessRun>();

  add(run: Run): InProcessRun {
    const entry: InProcessRun = { run, controller: new AbortController(), listeners: new Set() };
    this.runs.set(run.runId, entry);
    return entry;
  }

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

  /** Ends a run once (later calls are ignored) and forgets it after a while. */
  finish(entry: InProcessRun, update: RunUpdate, endedAt: string): void {
    if (entry.run.endedAt) return;
    this.emit(entry, { ...update, endedAt });
    setTimeout(() => this.runs.delete(entry.run.runId), KEEP_FINISHED_MS).unref();
  }

  /** Calls `onUpdate` with each change until the run ends; a run this process does not have died with an earlier one. */
  observe(runId: string, onUpdate: (u: RunUpdate) => void, signal: AbortSignal, now: () => string): Promise<void> {
    const entry = this.runs.get(runId);
    if (!entry) {
      onUpdate({ status: 'failed', error: 'server stopped while the run was in progress', endedAt: now() });
      return Promise.resolve();
    }
    const r = entry.run;
    if (r.endedAt) {
      onUpdate({ status: r.status, output: r.output, error: r.error, endedAt: r.endedAt });
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
