import { WorkflowError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { isTerminal, type Provider, type Run, type RunStatus, type RunUpdate, type StartRequest } from '../providers/types.js';
import type { JournalRun, RunQuery, RunSignal, RunStore } from './journal.js';
import { retryWrite, Nudges } from './signals.js';
import { StartReconciler } from './reconcile.js';
import { waitOnJournal, type WaitOptions } from './wait.js';
import { RunWatcher } from './watch.js';
import type { BudgetSource } from './poller.js';

/** `statusChanged` is false for progress-only changes (a message, a fraction). */
export type RunListener = (run: JournalRun, change: { statusChanged: boolean; final?: boolean }) => void;

interface Tracked {
  run: JournalRun;
  fraction: number | null;
  listeners: Set<RunListener>;
  observing: AbortController;
  lastMessageWrite: number;
  /** Ends the poller's current wait (after a cancel or resume we want to see the effect soon). */
  wake?: () => void;
  /** This run's journal writes, one after another so a late write never overtakes an earlier one. */
  writes: Promise<void>;
}

export interface TrackerOptions {
  store: RunStore;
  /** Where each platform's poll budget comes from: shared by replicas, or this process's own (default). */
  budgets?: BudgetSource;
  providers: ReadonlyMap<string, Provider>;
  log: Logger;
  clock?: Clock;
}

/** A run is settled when waiting on it is pointless: it ended, or it waits for a person. */
export function isSettled(status: RunStatus): boolean {
  return isTerminal(status) || status === 'waiting';
}

const CANCEL_GRACE_MS = 5000;
const MESSAGE_WRITE_MS = 1000;
const WRITTEN_WAIT_MS = 5000;

/** Start / get / wait / cancel / list for every provider's runs, journaled as they change. */
export class RunTracker {
  private readonly live = new Map<string, Tracked>();
  private readonly listeners = new Set<RunListener>();
  private readonly watcher: RunWatcher;
  private readonly reconciler: StartReconciler;
  /** Waits on runs other processes own, woken early when a signal says the run changed. */
  private readonly nudges = new Nudges();
  private readonly unsubscribe: Array<() => void>;
  private closing = false;
  readonly clock: Clock;

  constructor(private readonly opts: TrackerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.watcher = new RunWatcher(this.clock, opts.log, opts.budgets);
    this.reconciler = new StartReconciler({ clock: this.clock, log: opts.log, known: async (p, id) => this.live.has(key(p, id)) || (await this.opts.store.get(p, id)) !== undefined });
    this.unsubscribe = [opts.store.onSignal((s) => this.heard(s)), opts.store.onResync(() => this.nudges.all())];
  }

  /** This process's name as the owner of the runs it starts. */
  get owner(): string {
    return this.opts.store.owner;
  }

  /** The run journal, whichever backend keeps it. */
  get store(): RunStore {
    return this.opts.store;
  }

  get inFlight(): number {
    return this.live.size;
  }

  /**
   * Starts one run and journals it, with the principal that started it, before anyone waits on
   * it; a start whose answer was lost is reconciled first.
   */
  async start(provider: Provider, req: StartRequest, startedBy: string | null = null): Promise<JournalRun> {
    const since = this.iso();
    const run = await provider.start(req).catch((err: unknown) => this.reconciler.recover(provider, req, since, err));
    return this.adopt(provider, run, startedBy);
  }

  /**
   * Journals and watches a run a provider started some other way (a replay). Watching begins at
   * once (the run's first events are not missed); the insert is the first of the run's queued
   * writes, its updates follow it.
   */
  async adopt(provider: Provider, run: Run, startedBy: string | null = null): Promise<JournalRun> {
    const journaled: JournalRun = { ...run, updatedAt: this.iso(), owner: this.owner, cancelRequested: false, message: null, steps: [], startedBy };
    const inserted = retryWrite(() => this.opts.store.insert(run, this.owner, journaled.updatedAt, startedBy), () => this.closing).catch((err: Error) => {
      this.opts.log.error(`journal: could not record run ${run.provider}/${run.runId}: ${err.message}`);
    });
    this.track(provider, journaled, inserted);
    this.emit(journaled, true, undefined);
    // Not awaited: this process answers from memory meanwhile, and a caller that subscribes
    // next must not miss the run's first events while a database round trip is under way.
    void inserted;
    return { ...journaled };
  }

  async get(provider: string, runId: string): Promise<JournalRun | undefined> {
    return this.liveCopy(provider, runId) ?? this.opts.store.get(provider, runId);
  }

  /** The run as this process is watching it, without asking the store. */
  private liveCopy(provider: string, runId: string): JournalRun | undefined {
    const t = this.live.get(key(provider, runId));
    return t ? { ...t.run } : undefined;
  }

  /** The fraction done (0..1) when the workflow said so; live runs only. */
  fraction(provider: string, runId: string): number | null {
    return this.live.get(key(provider, runId))?.fraction ?? null;
  }

  async list(q: RunQuery): Promise<{ runs: JournalRun[]; nextCursor: string | null }> {
    const page = await this.opts.store.list(q);
    return { runs: page.runs.map((r) => this.liveCopy(r.provider, r.runId) ?? r), nextCursor: page.nextCursor };
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
    const tracked = this.live.get(key(provider, runId));
    if (tracked) return this.waitLive(tracked, o); // answers after the run's writes landed
    const current = await this.get(provider, runId);
    if (!current) throw notFound(provider, runId);
    if (isSettled(current.status) || o.signal?.aborted) return current;
    return this.waitJournal(current, o);
  }

  /** Resolves with the run once its status is no longer `from` (or null at the timeout). */
  async waitForChange(provider: string, runId: string, from: RunStatus, timeoutMs: number): Promise<JournalRun | null> {
    const t = this.live.get(key(provider, runId));
    if (!t) return null;
    const run = await this.waitLive(t, { timeoutMs, settle: (s) => s !== from });
    return run.status === from ? null : run;
  }

  async cancel(provider: string, runId: string): Promise<{ run: JournalRun; note: string }> {
    const current = await this.get(provider, runId);
    if (!current) throw notFound(provider, runId);
    if (isTerminal(current.status)) return { run: current, note: `The run had already ended (${current.status}); nothing was cancelled.` };
    const tracked = this.live.get(key(provider, runId));
    const impl = this.opts.providers.get(provider);
    if (!tracked && impl && !impl.runsOutliveProcess && current.owner !== this.owner && (await this.opts.store.isAlive(current.owner))) {
      await this.opts.store.requestCancel(provider, runId, this.iso());
      const run = await this.waitJournal(current, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal });
      return { run, note: isTerminal(run.status) ? 'Cancelled.' : `Cancel requested; the workflows-mcp process that runs it (${current.owner}) will stop it.` };
    }
    if (!impl) throw new WorkflowError('unsupported', `Provider "${provider}" is not configured in this server, so its run cannot be cancelled here.`);
    if (tracked) {
      tracked.run.cancelRequested = true;
      this.persist(tracked);
    }
    const outcome = await impl.cancel(current);
    tracked?.wake?.();
    if (!tracked) this.tellOwner('wake', current);
    if (!outcome.accepted) {
      // Said in the journal too; the run is still watched to its real end.
      if (tracked) (tracked.run.message = `cancel requested; ${outcome.note ?? 'the platform did not accept it'}`), this.persist(tracked);
      return { run: (await this.get(provider, runId)) ?? current, note: `Cancel requested, but ${outcome.note ?? 'the platform did not accept it'}.` };
    }
    const run = tracked ? await this.waitLive(tracked, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal }) : await this.waitJournal(current, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal });
    return { run, note: isTerminal(run.status) ? 'Cancelled.' : 'Cancel requested; the platform has not confirmed it yet. Call get_run later.' };
  }

  /**
   * Takes over the runs whose owner stopped (on start, and on every lease tick): platform runs
   * are followed to their end from where they are — never started again; runs that lived in the
   * stopped process cannot move, so they are closed as failed, saying why. Exactly one process
   * wins each claim.
   */
  async recover(): Promise<number> {
    let adopted = 0;
    for (const run of await this.opts.store.orphans()) {
      if (this.closing || this.live.has(key(run.provider, run.runId))) continue;
      const impl = this.opts.providers.get(run.provider);
      if (!impl || !(await this.opts.store.claim(run, this.iso()))) continue;
      const mine: JournalRun = { ...run, owner: this.owner };
      if (impl.runsOutliveProcess) {
        this.track(impl, mine);
        adopted++;
        this.opts.log.info(`run ${run.provider}/${run.runId} adopted from ${run.owner ?? 'no owner'}, which stopped; following it to its end`);
      } else {
        await this.write(mine, { status: 'failed', error: `server stopped while the run was in progress (the workflows-mcp server running it, ${run.owner ?? 'unknown'}, is gone; a run inside a server cannot move to another)`, endedAt: run.endedAt ?? this.iso() });
        this.opts.log.info(`run ${run.provider}/${run.runId} was left unfinished by a stopped server; marked failed`);
      }
    }
    return adopted;
  }

  /**
   * Renews this process's lease. When it had lapsed (the database was away), others may have
   * adopted some of our runs: stop following those, their new owner does.
   */
  async keepLease(ttlMs: number): Promise<void> {
    if (await this.opts.store.renewLease(ttlMs)) return;
    for (const t of [...this.live.values()]) {
      const stored = await this.opts.store.get(t.run.provider, t.run.runId);
      if (stored && stored.owner !== this.owner) {
        this.opts.log.warn(`run ${t.run.provider}/${t.run.runId} was adopted by ${stored.owner ?? 'another server'} while our lease lapsed; it follows the run now`);
        t.observing.abort();
        this.live.delete(key(t.run.provider, t.run.runId));
      }
    }
  }

  /** Cancel requests other processes wrote into the journal for runs this process owns. */
  async pollCancelRequests(): Promise<void> {
    if (this.live.size === 0) return;
    for (const r of await this.opts.store.cancelRequests(this.owner)) {
      const t = this.live.get(key(r.provider, r.runId));
      if (t && !t.run.cancelRequested) void this.cancel(r.provider, r.runId).catch((err: Error) => this.opts.log.warn(`cancel of ${r.runId} failed: ${err.message}`));
    }
  }

  /** Stops observing. Runs that live in this process end with it: give them a moment to say so. */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    for (const stop of this.unsubscribe) stop();
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
    const writes = [...this.live.values()].map((t) => t.writes);
    this.live.clear();
    await Promise.all(writes);
    // Our platform runs go on: with the lease given up, another process adopts them at once.
    await this.opts.store.releaseLease().catch((err: Error) => this.opts.log.warn(`journal: could not give up the lease: ${err.message}`));
  }

  /** Resolves when every journal write made so far has landed (tests, and before closing the store). */
  async flush(): Promise<void> {
    await Promise.all([...this.live.values()].map((t) => t.writes));
  }

  private track(provider: Provider, run: JournalRun, inserted: Promise<void> = Promise.resolve()): void {
    const tracked: Tracked = { run: { ...run }, fraction: null, listeners: new Set(), observing: new AbortController(), lastMessageWrite: 0, writes: inserted };
    this.live.set(key(run.provider, run.runId), tracked);
    this.watch(provider, tracked)
      .catch((err: unknown) => {
        if (tracked.observing.signal.aborted) return;
        this.opts.log.warn(`observing run ${run.provider}/${run.runId} failed: ${(err as Error).message}`);
        this.apply(tracked, { status: 'unknown', message: `lost track of the run: ${(err as Error).message}` });
      })
      .finally(() => {
        if (isTerminal(tracked.run.status) || tracked.observing.signal.aborted) this.retire(tracked);
      });
  }

  private watch(provider: Provider, t: Tracked): Promise<void> {
    return this.watcher.watch(provider, { current: () => t.run, apply: (u) => this.apply(t, u), signal: t.observing.signal, onWake: (wake) => (t.wake = wake) });
  }

  /** Looks at a run again now (a webhook said it changed). False when it is not being watched. */
  wake(provider: string, runId: string): boolean {
    const t = this.live.get(key(provider, runId));
    t?.wake?.();
    if (!t) this.tellOwner('wake', { provider, runId, owner: null });
    return t !== undefined;
  }

  /** Asks whichever process follows the run to act now (cancel it, or look at it again). */
  private tellOwner(kind: 'cancel' | 'wake', run: Pick<JournalRun, 'provider' | 'runId' | 'owner'>): void {
    if (!this.opts.store.signals) return;
    this.opts.store.signal({ kind, provider: run.provider, runId: run.runId, owner: run.owner }).catch((err: Error) => this.opts.log.warn(`journal: could not signal ${kind} of ${run.runId}: ${err.message}`));
  }

  /** What other processes said: cancel or wake a run we follow; a change to one they follow. */
  private heard(s: RunSignal): void {
    const k = key(s.provider, s.runId);
    const t = this.live.get(k);
    if (s.kind === 'cancel' && t && !t.run.cancelRequested) void this.cancel(s.provider, s.runId).catch((err: Error) => this.opts.log.warn(`cancel of ${s.runId} failed: ${err.message}`));
    else if (s.kind === 'wake') t?.wake?.();
    else if (s.kind === 'change' && !t) {
      this.nudges.wake(k);
      if (this.listeners.size > 0) {
        void this.opts.store.get(s.provider, s.runId).then(
          (run) => run && !this.live.has(k) && this.emit(run, true, undefined),
          (err: Error) => this.opts.log.warn(`journal: reading run ${s.runId} after a change failed: ${err.message}`),
        );
      }
    }
  }

  /** Sends a waiting run the answer it waits for, then looks at it again soon. */
  async resume(provider: string, runId: string, payload: Record<string, unknown>, source: string): Promise<void> {
    const run = await this.get(provider, runId);
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
      this.persist(t);
    }
    if (isTerminal(run.status) || u.final) this.retire(t);
    this.emit(run, statusChanged, t, u.final);
  }

  private async write(run: JournalRun, u: Partial<JournalRun>): Promise<void> {
    const next = { ...run, ...u };
    await this.store.update(next, this.iso()).catch((err: Error) => this.writeFailed(next, err));
    this.emit(next, true, undefined);
  }

  /** Queues a write of the run as it is now, after the run's earlier writes. */
  private persist(t: Tracked): void {
    const snapshot = { ...t.run };
    const now = this.iso();
    t.writes = t.writes.then(() => retryWrite(() => this.opts.store.update(snapshot, now), () => this.closing)).catch((err: Error) => this.writeFailed(snapshot, err));
  }

  private writeFailed(run: JournalRun, err: Error): void {
    this.opts.log.error(`journal: could not update run ${run.provider}/${run.runId}: ${err.message}`);
  }

  /** Stops counting a run as live once its last write landed, so a read never sees an older row. */
  private retire(t: Tracked): void {
    const k = key(t.run.provider, t.run.runId);
    void t.writes.then(() => {
      if (this.live.get(k) === t) this.live.delete(k);
    });
  }

  private emit(run: JournalRun, statusChanged: boolean, t: Tracked | undefined, final?: boolean): void {
    const copy = { ...run };
    for (const l of [...(t?.listeners ?? []), ...this.listeners]) {
      try {
        l(copy, final ? { statusChanged, final } : { statusChanged });
      } catch (err) {
        this.opts.log.warn(`run listener failed: ${(err as Error).message}`);
      }
    }
  }

  private waitLive(t: Tracked, o: WaitOptions): Promise<JournalRun> {
    const settle = o.settle ?? isSettled;
    // It may have settled already (a provider that confirms a cancel synchronously).
    if (settle(t.run.status) || o.signal?.aborted) return this.written(t);
    return new Promise((resolve) => {
      const finish = (): void => {
        timer.cancel();
        t.listeners.delete(listener);
        o.signal?.removeEventListener('abort', finish);
        resolve(this.written(t));
      };
      const listener: RunListener = (run, change) => {
        o.onUpdate?.(run, change);
        if (settle(run.status) || change.final) finish();
      };
      const timer = this.clock.setTimeout(finish, o.timeoutMs);
      t.listeners.add(listener);
      o.signal?.addEventListener('abort', finish, { once: true });
    });
  }

  /**
   * The run as it is now, after its writes so far landed (at most 5 s): a caller given a run id
   * or told "completed" who asks another replica next finds the run there, in that state.
   */
  private async written(t: Tracked): Promise<JournalRun> {
    const copy = { ...t.run };
    await Promise.race([t.writes, new Promise((r) => setTimeout(r, WRITTEN_WAIT_MS).unref())]);
    return copy;
  }

  private waitJournal(start: JournalRun, o: WaitOptions): Promise<JournalRun> {
    const nudge = (wake: () => void): (() => void) => this.nudges.on(key(start.provider, start.runId), wake);
    return waitOnJournal(() => this.get(start.provider, start.runId), start, { ...o, settle: o.settle ?? isSettled, nudge }, this.clock);
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
