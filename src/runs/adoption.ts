import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Provider } from '../providers/types.js';
import type { JournalRun, RunSignal, RunStore } from './journal.js';
import { runKey, type Tracked } from './live-run.js';
import type { Nudges } from './signals.js';

/** What lease keeping, adoption and other processes' signals need of the tracker. */
export interface ReplicaHost {
  readonly owner: string;
  readonly store: RunStore;
  readonly providers: ReadonlyMap<string, Provider>;
  readonly log: Logger;
  /** The runs this process follows, by `runKey`. */
  readonly live: Map<string, Tracked>;
  /** Waiters on runs other processes follow. */
  readonly nudges: Nudges;
  closing(): boolean;
  iso(): string;
  /** Follows a run from where it is (already journaled), as if this process had started it. */
  follow(impl: Provider, run: JournalRun): void;
  /** Writes a run that is not followed here, and tells listeners. */
  write(run: JournalRun, u: Partial<JournalRun>): Promise<void>;
  cancel(provider: string, runId: string): Promise<unknown>;
  /** Tells this process's listeners about a run another process changed. */
  changed(run: JournalRun): void;
  hasListeners(): boolean;
  /** Tells who asked (`onAdopted`) that this process took a stopped owner's run: followed, or closed as failed. */
  adopted(run: JournalRun): void;
  /** Ends a followed run as failed (a run that cannot outlive this process). */
  fail(t: Tracked, error: string): void;
  readonly clock: Clock;
}

/**
 * Takes over the runs whose owner stopped (on start, and on every lease tick): platform runs
 * are followed to their end from where they are — never started again; runs that lived in the
 * stopped process cannot move, so they are closed as failed, saying why. Exactly one process
 * wins each claim.
 */
export async function adoptOrphans(h: ReplicaHost): Promise<number> {
  let adopted = 0;
  for (const run of await h.store.orphans()) {
    if (h.closing() || h.live.has(runKey(run.provider, run.runId))) continue;
    const impl = h.providers.get(run.provider);
    if (!impl || !(await h.store.claim(run, h.iso()))) continue;
    const mine: JournalRun = { ...run, owner: h.owner };
    if (impl.runsOutliveProcess) {
      h.follow(impl, mine);
      h.adopted(mine);
      adopted++;
      h.log.info(`run ${run.provider}/${run.runId} adopted from ${run.owner ?? 'no owner'}, which stopped; following it to its end`);
    } else {
      const failed = { status: 'failed' as const, error: `server stopped while the run was in progress (the workflows-mcp server running it, ${run.owner ?? 'unknown'}, is gone; a run inside a server cannot move to another)`, endedAt: run.endedAt ?? h.iso() };
      await h.write(mine, failed);
      h.adopted({ ...mine, ...failed });
      h.log.info(`run ${run.provider}/${run.runId} was left unfinished by a stopped server; marked failed`);
    }
  }
  return adopted;
}

/**
 * Renews this process's lease. When it had lapsed (the database was away), others may have
 * adopted some of our runs: stop following those, their new owner does.
 */
export async function keepLease(h: ReplicaHost, ttlMs: number): Promise<void> {
  if (await h.store.renewLease(ttlMs)) return;
  for (const t of [...h.live.values()]) {
    const stored = await h.store.get(t.run.provider, t.run.runId);
    if (stored && stored.owner !== h.owner) {
      h.log.warn(`run ${t.run.provider}/${t.run.runId} was adopted by ${stored.owner ?? 'another server'} while our lease lapsed; it follows the run now`);
      t.observing.abort();
      h.live.delete(runKey(t.run.provider, t.run.runId));
    }
  }
}

/** Cancel requests other processes wrote into the journal for runs this process owns. */
export async function pollCancelRequests(h: ReplicaHost): Promise<void> {
  if (h.live.size === 0) return;
  for (const r of await h.store.cancelRequests(h.owner)) {
    const t = h.live.get(runKey(r.provider, r.runId));
    if (t && !t.run.cancelRequested) cancelQuietly(h, r.provider, r.runId);
  }
}

/** Asks whichever process follows the run to act now (cancel it, or look at it again). */
export function tellOwner(h: ReplicaHost, kind: 'cancel' | 'wake', run: Pick<JournalRun, 'provider' | 'runId' | 'owner'>): void {
  if (!h.store.signals) return;
  h.store.signal({ kind, provider: run.provider, runId: run.runId, owner: run.owner }).catch((err: Error) => h.log.warn(`journal: could not signal ${kind} of ${run.runId}: ${err.message}`));
}

/** What other processes said: cancel or wake a run we follow; a change to one they follow. */
export function hearSignal(h: ReplicaHost, s: RunSignal): void {
  const k = runKey(s.provider, s.runId);
  const t = h.live.get(k);
  if (s.kind === 'cancel' && t && !t.run.cancelRequested) cancelQuietly(h, s.provider, s.runId);
  else if (s.kind === 'wake') t?.wake?.();
  else if (s.kind === 'change' && !t) {
    h.nudges.wake(k);
    if (h.hasListeners()) {
      void h.store.get(s.provider, s.runId).then(
        (run) => run && !h.live.has(k) && h.changed(run),
        (err: Error) => h.log.warn(`journal: reading run ${s.runId} after a change failed: ${err.message}`),
      );
    }
  }
}

function cancelQuietly(h: ReplicaHost, provider: string, runId: string): void {
  void h.cancel(provider, runId).catch((err: Error) => h.log.warn(`cancel of ${runId} failed: ${err.message}`));
}

/**
 * On close: stops following platform runs at once (they go on, and with the lease given up
 * another process adopts them at once); runs that live in this process get `graceMs` to end,
 * then are failed, saying why. Resolves after their last journal writes.
 */
export async function handOver(h: ReplicaHost, graceMs: number): Promise<void> {
  const deadline = h.clock.now() + graceMs;
  for (const t of h.live.values()) {
    const impl = h.providers.get(t.run.provider);
    if (impl?.runsOutliveProcess) t.observing.abort();
  }
  while (h.live.size > 0 && h.clock.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const t of [...h.live.values()]) {
    t.observing.abort();
    const impl = h.providers.get(t.run.provider);
    if (!impl?.runsOutliveProcess) h.fail(t, 'server stopped while the run was in progress');
  }
  const writes = [...h.live.values()].map((t) => t.writes);
  h.live.clear();
  await Promise.all(writes);
  await h.store.releaseLease().catch((err: Error) => h.log.warn(`journal: could not give up the lease: ${err.message}`));
}
