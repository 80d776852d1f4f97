import type { LocalAbortController } from '../core/abort.js';
import type { RunStatus, RunUpdate } from '../providers/types.js';
import { isTerminal } from '../providers/types.js';
import type { Logger } from '../core/log.js';
import type { JournalRun } from './journal.js';

/** `statusChanged` is false for progress-only changes (a message, a fraction). */
export type RunListener = (run: JournalRun, change: { statusChanged: boolean; final?: boolean }) => void;

/** A run this process follows: its latest state, who waits on it, and its queued journal writes. */
export interface Tracked {
  run: JournalRun;
  fraction: number | null;
  listeners: Set<RunListener>;
  /** Stops the watch (a LocalAbortController: see there why not an AbortController). */
  observing: LocalAbortController;
  lastMessageWrite: number;
  /** Ends the poller's current wait (after a cancel or resume we want to see the effect soon). */
  wake?: () => void;
  /** This run's journal writes, one after another so a late write never overtakes an earlier one. */
  writes: Promise<void>;
}

/** A run is settled when waiting on it is pointless: it ended, or it waits for a person. */
export function isSettled(status: RunStatus): boolean {
  return isTerminal(status) || status === 'waiting';
}

/** The live-run map's key. */
export function runKey(provider: string, runId: string): string {
  return `${provider}\u0000${runId}`;
}

/**
 * Folds a provider's update into the tracked run (in place). Says whether the change is more
 * than progress (a status, a step, or a final output) — those are written at once.
 */
export function mergeUpdate(t: Tracked, u: RunUpdate, nowIso: () => string): boolean {
  const run = t.run;
  const before = run.status;
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
  if (isTerminal(run.status) && !run.endedAt) run.endedAt = nowIso();
  return run.status !== before || u.step !== undefined || (u.output !== undefined && isTerminal(run.status));
}

/** Tells each listener about a change (a copy of the run each); a failing listener is logged, not fatal. */
export function tell(listeners: Iterable<RunListener>, run: JournalRun, change: Parameters<RunListener>[1], log: Logger): void {
  const copy = { ...run };
  for (const l of listeners) {
    try {
      l(copy, change);
    } catch (err) {
      log.warn(`run listener failed: ${(err as Error).message}`);
    }
  }
}
