import { LocalAbortController } from '../core/abort.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { extend } from '../core/objects.js';
import { isTerminal, type Provider, type Run, type RunStatus, type RunUpdate, type StartRequest } from '../providers/types.js';
import type { JournalRun, RunQuery, RunStore } from './journal.js';
import { Nudges } from './signals.js';
import { JournalWrites } from './journal-writes.js';
import { cancelRun, type CancelHost } from './cancel.js';
import { resumeRun, runNotFound, wakeRun } from './resume.js';
import { StartReconciler } from './reconcile.js';
import { waitOnJournal, type WaitOptions } from './wait.js';
import { RunWatcher } from './watch.js';
import type { BudgetSource } from './poller.js';
import { isSettled, mergeUpdate, runKey as key, tell, type RunListener, type Tracked } from './live-run.js';
import { waitLive, type LiveWaitHost } from './live-wait.js';
import { adoptOrphans, handOver, hearSignal, keepLease, pollCancelRequests, tellOwner, type ReplicaHost } from './adoption.js';

export { isSettled, type RunListener } from './live-run.js';

export interface TrackerOptions {
  store: RunStore;
  /** Where each platform's poll budget comes from: shared by replicas, or this process's own (default). */
  budgets?: BudgetSource;
  providers: ReadonlyMap<string, Provider>;
  log: Logger;
  clock?: Clock;
}

const MESSAGE_WRITE_MS = 1000;

/** Start / get / wait / cancel / list for every provider's runs, journaled as they change. */
export class RunTracker {
  private readonly live = new Map<string, Tracked>();
  private readonly listeners = new Set<RunListener>();
  private readonly adoptedListeners = new Set<RunListener>();
  private readonly watcher: RunWatcher;
  private readonly reconciler: StartReconciler;
  /** Waits on runs other processes own, woken early when a signal says the run changed. */
  private readonly nudges = new Nudges();
  private readonly unsubscribe: Array<() => void>;
  private closing = false;
  /** This tracker as lease keeping, adoption and other processes' signals see it. */
  private readonly replica: ReplicaHost;
  /** Each live run's journal writes, in order. */
  private readonly journal: JournalWrites;
  /** This tracker as cancelling sees it. */
  private readonly cancels: CancelHost;
  /** This tracker as waiting on a live run sees it. */
  private readonly liveWait: LiveWaitHost;
  readonly clock: Clock;

  constructor(private readonly opts: TrackerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.watcher = new RunWatcher(this.clock, opts.log, opts.budgets);
    this.reconciler = new StartReconciler({ clock: this.clock, log: opts.log, known: async (p, id) => this.live.has(key(p, id)) || (await this.opts.store.get(p, id)) !== undefined });
    this.journal = new JournalWrites({ store: opts.store, log: opts.log, live: this.live, closing: () => this.closing, iso: () => this.iso(), clock: this.clock });
    this.replica = this.replicaHost();
    this.liveWait = { clock: this.clock, afterWrites: opts.store.sharedByReplicas === true, recordNow: (t) => this.journal.recordNow(t) };
    this.cancels = this.cancelHost();
    this.unsubscribe = [opts.store.onSignal((s) => hearSignal(this.replica, s)), opts.store.onResync(() => this.nudges.all())];
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
    const journaled: JournalRun = extend(run, { updatedAt: this.iso(), owner: this.owner, cancelRequested: false, message: null, steps: [], startedBy });
    // Not awaited: this process answers from memory meanwhile, and a caller that subscribes
    // next must not miss the run's first events while a database round trip is under way.
    this.track(provider, journaled, (t) => this.journal.insert(t, !provider.runsOutliveProcess));
    this.emit(journaled, true, undefined);
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
    this.journal.recordAll(); // a run started a moment ago is listed too
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

  /** Runs this process took over from a stopped owner (their MCP tasks follow them). */
  onAdopted(listener: (run: JournalRun) => void): () => void {
    this.adoptedListeners.add(listener);
    return () => this.adoptedListeners.delete(listener);
  }

  /** Resolves when the run settles, the timeout passes or `signal` aborts — with the run as it is then. */
  async wait(provider: string, runId: string, o: { timeoutMs: number; signal?: AbortSignal | undefined; onUpdate?: RunListener | undefined }): Promise<JournalRun> {
    const tracked = this.live.get(key(provider, runId));
    if (tracked) return waitLive(tracked, o, this.liveWait);
    const current = await this.get(provider, runId);
    if (!current) throw runNotFound(provider, runId);
    if (isSettled(current.status) || o.signal?.aborted) return current;
    return this.waitJournal(current, o);
  }

  /** Resolves with the run once its status is no longer `from` (or null at the timeout). */
  async waitForChange(provider: string, runId: string, from: RunStatus, timeoutMs: number): Promise<JournalRun | null> {
    const t = this.live.get(key(provider, runId));
    if (!t) return null;
    const run = await waitLive(t, { timeoutMs, settle: (s) => s !== from }, this.liveWait);
    return run.status === from ? null : run;
  }

  async cancel(provider: string, runId: string): Promise<{ run: JournalRun; note: string }> {
    const current = await this.get(provider, runId);
    if (!current) throw runNotFound(provider, runId);
    return cancelRun(this.cancels, provider, runId, current);
  }

  /** Takes over the runs whose owner stopped (see `adoptOrphans`); how many it now follows. */
  recover(): Promise<number> {
    return adoptOrphans(this.replica);
  }

  /** Renews this process's lease; drops the runs others adopted while it had lapsed. */
  keepLease(ttlMs: number): Promise<void> {
    return keepLease(this.replica, ttlMs);
  }

  /** Cancel requests other processes wrote into the journal for runs this process owns. */
  pollCancelRequests(): Promise<void> {
    return pollCancelRequests(this.replica);
  }

  private replicaHost(): ReplicaHost {
    return {
      owner: this.owner,
      store: this.opts.store,
      providers: this.opts.providers,
      log: this.opts.log,
      live: this.live,
      nudges: this.nudges,
      closing: () => this.closing,
      iso: () => this.iso(),
      follow: (impl, run) => this.track(impl, run),
      write: (run, u) => this.write(run, u),
      cancel: (provider, runId) => this.cancel(provider, runId),
      changed: (run) => this.emit(run, true, undefined),
      fail: (t, error) => this.apply(t, { status: 'failed', error, endedAt: this.iso() }),
      clock: this.clock,
      hasListeners: () => this.listeners.size > 0,
      adopted: (run) => tell(this.adoptedListeners, run, { statusChanged: true }, this.opts.log),
    };
  }

  private cancelHost(): CancelHost {
    return {
      ...this.replica,
      get: (provider, runId) => this.get(provider, runId),
      persist: (t) => this.journal.persist(t),
      waitJournal: (start, o) => this.waitJournal(start, o),
      waitLive: (t, o) => waitLive(t, o, this.liveWait),
      wakeOwner: (run) => tellOwner(this.replica, 'wake', run),
    };
  }

  /** Stops observing. Runs that live in this process end with it: give them a moment to say so. */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    for (const stop of this.unsubscribe) stop();
    await handOver(this.replica, graceMs);
    this.journal.recordAll();
  }

  /**
   * Resolves once the run is in the journal: one waiting for its window is recorded now. Before
   * another process is told of a run (an MCP task's link), so a replica that takes over finds it.
   */
  async recorded(provider: string, runId: string): Promise<void> {
    const t = this.live.get(key(provider, runId));
    if (t) await this.journal.recordNow(t);
  }

  /** Resolves when every journal write made so far has landed (tests, and before closing the store). */
  async flush(): Promise<void> {
    this.journal.recordAll();
    await Promise.all([...this.live.values()].map((t) => t.writes));
  }

  /** Follows a run; `insert` gives its first journal write, which its later writes queue behind. */
  private track(provider: Provider, run: JournalRun, insert?: (t: Tracked) => Promise<void>): void {
    const tracked: Tracked = { run: { ...run }, fraction: null, listeners: new Set(), observing: new LocalAbortController(), lastMessageWrite: 0, writes: Promise.resolve() };
    if (insert) tracked.writes = insert(tracked);
    this.live.set(key(run.provider, run.runId), tracked);
    this.watch(provider, tracked)
      .catch((err: unknown) => {
        if (tracked.observing.signal.aborted) return;
        this.opts.log.warn(`observing run ${run.provider}/${run.runId} failed: ${(err as Error).message}`);
        this.apply(tracked, { status: 'unknown', message: `lost track of the run: ${(err as Error).message}` });
      })
      .finally(() => {
        if (isTerminal(tracked.run.status) || tracked.observing.signal.aborted) this.journal.retire(tracked);
      });
  }

  private watch(provider: Provider, t: Tracked): Promise<void> {
    return this.watcher.watch(provider, { current: () => t.run, apply: (u) => this.apply(t, u), signal: t.observing.signal, onWake: (wake) => (t.wake = wake) });
  }

  /** Looks at a run again now (a webhook said it changed). False when it is not being watched. */
  wake(provider: string, runId: string): boolean {
    return wakeRun(this.cancels, provider, runId);
  }

  /** Sends a waiting run the answer it waits for, then looks at it again soon. */
  resume(provider: string, runId: string, payload: Record<string, unknown>, source: string): Promise<void> {
    return resumeRun(this.cancels, provider, runId, payload, source);
  }

  private apply(t: Tracked, u: RunUpdate): void {
    if (isTerminal(t.run.status)) return;
    const statusChanged = mergeUpdate(t, u, () => this.iso());
    if (statusChanged || this.clock.now() - t.lastMessageWrite >= MESSAGE_WRITE_MS) {
      t.lastMessageWrite = this.clock.now();
      this.journal.persist(t);
    }
    if (isTerminal(t.run.status) || u.final) this.journal.retire(t);
    this.emit(t.run, statusChanged, t, u.final);
  }

  private async write(run: JournalRun, u: Partial<JournalRun>): Promise<void> {
    const next = { ...run, ...u };
    await this.store.update(next, this.iso()).catch((err: Error) => this.journal.failed(next, err));
    this.emit(next, true, undefined);
  }

  private emit(run: JournalRun, statusChanged: boolean, t: Tracked | undefined, final?: boolean): void {
    tell([...(t?.listeners ?? []), ...this.listeners], run, final ? { statusChanged, final } : { statusChanged }, this.opts.log);
  }

  private waitJournal(start: JournalRun, o: WaitOptions): Promise<JournalRun> {
    const nudge = (wake: () => void): (() => void) => this.nudges.on(key(start.provider, start.runId), wake);
    return waitOnJournal(() => this.get(start.provider, start.runId), start, { ...o, settle: o.settle ?? isSettled, nudge }, this.clock);
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
