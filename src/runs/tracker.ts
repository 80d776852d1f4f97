import { WorkflowError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { isTerminal, type Provider, type Run, type RunStatus, type RunUpdate, type StartRequest } from '../providers/types.js';
import type { Journal, JournalRun, RunQuery } from './journal.js';
import { ownerAlive } from './owner.js';
import { waitOnJournal, type WaitOptions } from './wait.js';
import { RunWatcher } from './watch.js';

/** `statusChanged` is false for progress-only changes (a message, a fraction). */
export type RunListener = (run: JournalRun, change: { statusChanged: boolean }) => void;

interface Tracked {
  run: JournalRun;
  fraction: number | null;
  listeners: Set<RunListener>;
  observing: AbortController;
  lastMessageWrite: number;
  /** Ends the poller's current wait (after a cancel or resume we want to see the effect soon). */
  wake?: () => void;
}

export interface TrackerOptions {
  journal: Journal;
  providers: ReadonlyMap<string, Provider>;
  log: Logger;
  owner: string;
  clock?: Clock;
}

/** A run is settled when waiting on it is pointless: it ended, or it waits for a person. */
export function isSettled(status: RunStatus): boolean {
  return isTerminal(status) || status === 'waiting';
}

const CANCEL_GRACE_MS = 5000;
const MESSAGE_WRITE_MS = 1000;

/** Start / get / wait / cancel / list for every provider's runs, journaled as they change. */
export class RunTracker {
  private readonly live = new Map<string, Tracked>();
  private readonly listeners = new Set<RunListener>();
  private readonly watcher: RunWatcher;
  readonly clock: Clock;

  constructor(private readonly opts: TrackerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.watcher = new RunWatcher(this.clock, opts.log);
  }

  get journal(): Journal {
    return this.opts.journal;
  }

  get inFlight(): number {
    return this.live.size;
  }

  /** Starts one run and journals it before anyone waits on it. */
  async start(provider: Provider, req: StartRequest): Promise<JournalRun> {
    return this.adopt(provider, await provider.start(req));
  }

  /** Journals and watches a run a provider started some other way (a replay). */
  adopt(provider: Provider, run: Run): JournalRun {
    const journaled: JournalRun = { ...run, updatedAt: this.iso(), owner: this.opts.owner, cancelRequested: false, message: null, steps: [] };
    try {
      this.opts.journal.insert(run, this.opts.owner, journaled.updatedAt);
    } catch (err) {
      this.opts.log.error(`journal: could not record run ${run.provider}/${run.runId}: ${(err as Error).message}`);
    }
    this.track(provider, journaled);
    this.emit(journaled, true, undefined);
    return { ...journaled };
  }

  get(provider: string, runId: string): JournalRun | undefined {
    const t = this.live.get(key(provider, runId));
    return t ? { ...t.run } : this.opts.journal.get(provider, runId);
  }

  /** The fraction done (0..1) when the workflow said so; live runs only. */
  fraction(provider: string, runId: string): number | null {
    return this.live.get(key(provider, runId))?.fraction ?? null;
  }

  list(q: RunQuery): { runs: JournalRun[]; nextCursor: string | null } {
    const page = this.opts.journal.list(q);
    return { runs: page.runs.map((r) => this.get(r.provider, r.runId) ?? r), nextCursor: page.nextCursor };
  }

  get providers(): ReadonlyMap<string, Provider> {
    return this.opts.providers;
  }

  /** For helpers in this layer that have something to say in the log. */
  journalLog(message: string): void {
    this.opts.log.warn(message);
  }

  /** Every change of every run (resources subscribe here). */
  onChange(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the run settles, the timeout passes or `signal` aborts — with the run as it is then. */
  async wait(provider: string, runId: string, o: { timeoutMs: number; signal?: AbortSignal | undefined; onUpdate?: RunListener | undefined }): Promise<JournalRun> {
    const current = this.get(provider, runId);
    if (!current) throw notFound(provider, runId);
    if (isSettled(current.status) || o.signal?.aborted) return current;
    const tracked = this.live.get(key(provider, runId));
    return tracked ? this.waitLive(tracked, o) : this.waitJournal(current, o);
  }

  /** Resolves with the run once its status is no longer `from` (or null at the timeout). */
  async waitForChange(provider: string, runId: string, from: RunStatus, timeoutMs: number): Promise<JournalRun | null> {
    const t = this.live.get(key(provider, runId));
    if (!t) return null;
    const run = await this.waitLive(t, { timeoutMs, settle: (s) => s !== from });
    return run.status === from ? null : run;
  }

  async cancel(provider: string, runId: string): Promise<{ run: JournalRun; note: string }> {
    const current = this.get(provider, runId);
    if (!current) throw notFound(provider, runId);
    if (isTerminal(current.status)) return { run: current, note: `The run had already ended (${current.status}); nothing was cancelled.` };
    const tracked = this.live.get(key(provider, runId));
    const impl = this.opts.providers.get(provider);
    if (!tracked && impl && !impl.runsOutliveProcess && current.owner !== this.opts.owner && ownerAlive(current.owner)) {
      this.opts.journal.requestCancel(provider, runId, this.iso());
      const run = await this.waitJournal(current, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal });
      return { run, note: isTerminal(run.status) ? 'Cancelled.' : `Cancel requested; the workflows-mcp process that runs it (${current.owner}) will stop it.` };
    }
    if (!impl) throw new WorkflowError('unsupported', `Provider "${provider}" is not configured in this server, so its run cannot be cancelled here.`);
    if (tracked) {
      tracked.run.cancelRequested = true;
      this.persist(tracked.run);
    }
    const outcome = await impl.cancel(current);
    tracked?.wake?.();
    if (!outcome.accepted) {
      // Said in the journal too; the run is still watched to its real end.
      if (tracked) (tracked.run.message = `cancel requested; ${outcome.note ?? 'the platform did not accept it'}`), this.persist(tracked.run);
      return { run: this.get(provider, runId) ?? current, note: `Cancel requested, but ${outcome.note ?? 'the platform did not accept it'}.` };
    }
    const run = tracked ? await this.waitLive(tracked, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal }) : current;
    return { run, note: isTerminal(run.status) ? 'Cancelled.' : 'Cancel requested; the platform has not confirmed it yet. Call get_run later.' };
  }

  /** On start: watch again the runs an earlier process left unfinished, or close them honestly. */
  recover(): void {
    for (const run of this.opts.journal.unfinished()) {
      if (this.live.has(key(run.provider, run.runId))) continue;
      const impl = this.opts.providers.get(run.provider);
      if (!impl) continue;
      if (impl.runsOutliveProcess) {
        this.track(impl, run);
      } else if (run.owner !== this.opts.owner && !ownerAlive(run.owner)) {
        this.write(run, { status: 'failed', error: 'server stopped while the run was in progress', endedAt: run.endedAt ?? this.iso() });
        this.opts.log.info(`run ${run.provider}/${run.runId} was left unfinished by a stopped server; marked failed`);
      }
    }
  }

  /** Cancel requests other processes wrote into the journal for runs this process owns. */
  pollCancelRequests(): void {
    if (this.live.size === 0) return;
    for (const r of this.opts.journal.cancelRequests(this.opts.owner)) {
      const t = this.live.get(key(r.provider, r.runId));
      if (t && !t.run.cancelRequested) void this.cancel(r.provider, r.runId).catch((err: Error) => this.opts.log.warn(`cancel of ${r.runId} failed: ${err.message}`));
    }
  }

  /** Stops observing. Runs that live in this process end with it: give them a moment to say so. */
  async close(graceMs = 2000): Promise<void> {
    const deadline = this.clock.now() + graceMs;
    for (const t of this.live.values()) {
      const impl = this.opts.providers.get(t.run.provider);
      if (impl?.runsOutliveProcess) t.observing.abort();
    }
    while (this.live.size > 0 && this.clock.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const t of [...this.live.values()]) {
      t.observing.abort();
      const impl = this.opts.providers.get(t.run.provider);
      if (!impl?.runsOutliveProcess) this.apply(t, { status: 'failed', error: 'server stopped while the run was in progress', endedAt: this.iso() });
    }
    this.live.clear();
  }

  private track(provider: Provider, run: JournalRun): void {
    const tracked: Tracked = { run: { ...run }, fraction: null, listeners: new Set(), observing: new AbortController(), lastMessageWrite: 0 };
    this.live.set(key(run.provider, run.runId), tracked);
    this.watch(provider, tracked)
      .catch((err: unknown) => {
        if (tracked.observing.signal.aborted) return;
        this.opts.log.warn(`observing run ${run.provider}/${run.runId} failed: ${(err as Error).message}`);
        this.apply(tracked, { status: 'unknown', message: `lost track of the run: ${(err as Error).message}` });
      })
      .finally(() => {
        if (isTerminal(tracked.run.status) || tracked.observing.signal.aborted) this.live.delete(key(run.provider, run.runId));
      });
  }

  private watch(provider: Provider, t: Tracked): Promise<void> {
    return this.watcher.watch(provider, { current: () => t.run, apply: (u) => this.apply(t, u), signal: t.observing.signal, onWake: (wake) => (t.wake = wake) });
  }

  /** Looks at a run again now (a webhook said it changed). False when it is not being watched. */
  wake(provider: string, runId: string): boolean {
    const t = this.live.get(key(provider, runId));
    t?.wake?.();
    return t !== undefined;
  }

  /** Sends a waiting run the answer it waits for, then looks at it again soon. */
  async resume(provider: string, runId: string, payload: Record<string, unknown>, source: string): Promise<void> {
    const run = this.get(provider, runId);
    if (!run) throw notFound(provider, runId);
    const impl = this.opts.providers.get(provider);
    if (!impl?.resume) throw new WorkflowError('unsupported', `Provider "${provider}" cannot resume runs.`);
    await impl.resume(run, payload, source);
    this.live.get(key(provider, runId))?.wake?.();
  }

  private apply(t: Tracked, u: RunUpdate): void {
    if (isTerminal(t.run.status)) return;
    const before = t.run.status;
    const run = t.run;
    if (u.status !== undefined) run.status = u.status;
    if (u.output !== undefined) run.output = u.output;
    if (u.error !== undefined) run.error = u.error;
    if (u.startedAt !== undefined) run.startedAt = u.startedAt;
    if (u.endedAt !== undefined) run.endedAt = u.endedAt;
    if (u.raw !== undefined) run.raw = u.raw;
    if (u.fraction !== undefined) t.fraction = u.fraction;
    if (u.step) run.steps = [...run.steps.filter((s) => s.key !== u.step!.key), u.step];
    if (u.steps) run.steps = u.steps;
    if (u.message !== undefined) run.message = u.message;
    else if (u.step) run.message = u.step.name ?? u.step.key;
    if (isTerminal(run.status) && !run.endedAt) run.endedAt = this.iso();
    const statusChanged = run.status !== before || u.step !== undefined || (u.output !== undefined && isTerminal(run.status));
    if (statusChanged || this.clock.now() - t.lastMessageWrite >= MESSAGE_WRITE_MS) {
      t.lastMessageWrite = this.clock.now();
      this.persist(run);
    }
    if (isTerminal(run.status)) this.live.delete(key(run.provider, run.runId));
    this.emit(run, statusChanged, t);
  }

  private write(run: JournalRun, u: Partial<JournalRun>): void {
    const next = { ...run, ...u };
    this.persist(next);
    this.emit(next, true, undefined);
  }

  private persist(run: JournalRun): void {
    try {
      this.opts.journal.update(run, this.iso());
    } catch (err) {
      this.opts.log.error(`journal: could not update run ${run.provider}/${run.runId}: ${(err as Error).message}`);
    }
  }

  private emit(run: JournalRun, statusChanged: boolean, t: Tracked | undefined): void {
    const copy = { ...run };
    for (const l of [...(t?.listeners ?? []), ...this.listeners]) {
      try {
        l(copy, { statusChanged });
      } catch (err) {
        this.opts.log.warn(`run listener failed: ${(err as Error).message}`);
      }
    }
  }

  private waitLive(t: Tracked, o: WaitOptions): Promise<JournalRun> {
    const settle = o.settle ?? isSettled;
    // It may have settled already (a provider that confirms a cancel synchronously).
    if (settle(t.run.status) || o.signal?.aborted) return Promise.resolve({ ...t.run });
    return new Promise((resolve) => {
      const finish = (): void => {
        timer.cancel();
        t.listeners.delete(listener);
        o.signal?.removeEventListener('abort', finish);
        resolve({ ...t.run });
      };
      const listener: RunListener = (run, change) => {
        o.onUpdate?.(run, change);
        if (settle(run.status)) finish();
      };
      const timer = this.clock.setTimeout(finish, o.timeoutMs);
      t.listeners.add(listener);
      o.signal?.addEventListener('abort', finish, { once: true });
    });
  }

  private waitJournal(start: JournalRun, o: WaitOptions): Promise<JournalRun> {
    return waitOnJournal(() => this.get(start.provider, start.runId), start, { ...o, settle: o.settle ?? isSettled }, this.clock);
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function key(provider: string, runId: string): string {
  return `${provider}\u0000${runId}`;
}

function notFound(provider: string, runId: string): WorkflowError {
  return new WorkflowError('not_found', `No run "${runId}" for provider "${provider}" is known to this server. Call list_runs to see recent runs.`);
}
