import { WorkflowError } from '../core/errors.js';
import { isTerminal } from '../providers/types.js';
import type { ReplicaHost } from './adoption.js';
import type { JournalRun } from './journal.js';
import { runKey as key, type Tracked } from './live-run.js';
import type { WaitOptions } from './wait.js';

const CANCEL_GRACE_MS = 5000;

/** What cancelling needs of the tracker: its replica view, and a few of its own steps. */
export interface CancelHost extends Pick<ReplicaHost, 'owner' | 'store' | 'providers' | 'live' | 'clock' | 'iso'> {
  get(provider: string, runId: string): Promise<JournalRun | undefined>;
  /** Queues a journal write of a followed run as it is now. */
  persist(t: Tracked): void;
  /** Waits on a run this process follows. */
  waitLive(t: Tracked, o: WaitOptions): Promise<JournalRun>;
  /** Waits on a run through the journal (another process follows it). */
  waitJournal(start: JournalRun, o: WaitOptions): Promise<JournalRun>;
  /** Asks whichever process follows the run to look at it again now. */
  wakeOwner(run: Pick<JournalRun, 'provider' | 'runId' | 'owner'>): void;
}

/**
 * Cancels a known run: asks its owner through the journal when another live process runs it in
 * process, else asks the platform, then waits a moment for the end.
 */
export async function cancelRun(h: CancelHost, provider: string, runId: string, current: JournalRun): Promise<{ run: JournalRun; note: string }> {
  if (isTerminal(current.status)) return { run: current, note: `The run had already ended (${current.status}); nothing was cancelled.` };
  const tracked = h.live.get(key(provider, runId));
  const impl = h.providers.get(provider);
  if (!tracked && impl && !impl.runsOutliveProcess && current.owner !== h.owner && (await h.store.isAlive(current.owner))) {
    await h.store.requestCancel(provider, runId, h.iso());
    const run = await h.waitJournal(current, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal });
    return { run, note: isTerminal(run.status) ? 'Cancelled.' : `Cancel requested; the workflows-mcp process that runs it (${current.owner}) will stop it.` };
  }
  if (!impl) throw new WorkflowError('unsupported', `Provider "${provider}" is not configured in this server, so its run cannot be cancelled here.`);
  if (tracked) {
    tracked.run.cancelRequested = true;
    h.persist(tracked);
  }
  const outcome = await impl.cancel(current);
  tracked?.wake?.();
  if (!tracked) h.wakeOwner(current);
  if (!outcome.accepted) {
    // Said in the journal too; the run is still watched to its real end.
    if (tracked) (tracked.run.message = `cancel requested; ${outcome.note ?? 'the platform did not accept it'}`), h.persist(tracked);
    return { run: (await h.get(provider, runId)) ?? current, note: `Cancel requested, but ${outcome.note ?? 'the platform did not accept it'}.` };
  }
  const run = tracked ? await h.waitLive(tracked, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal }) : await h.waitJournal(current, { timeoutMs: CANCEL_GRACE_MS, settle: isTerminal });
  return { run, note: isTerminal(run.status) ? 'Cancelled.' : 'Cancel requested; the platform has not confirmed it yet. Call get_run later.' };
}
