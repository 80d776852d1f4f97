import { delay } from './poller.js';
import type { Clock } from '../core/clock.js';
import { isWorkflowError, WorkflowError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Provider, Run, StartRequest } from '../providers/types.js';

/** Looks for the run twice: at once, and again after this pause (a platform may list it late). */
const SECOND_LOOK_MS = 1000;

export interface ReconcileOptions {
  clock: Clock;
  log: Logger;
  /** True when this server already journals the run (it belongs to another call). */
  known(provider: string, runId: string): Promise<boolean>;
}

/**
 * A start whose answer was lost (`outcome_unknown`) may still have started a run. Before saying
 * "unknown", the platform's recent runs of the workflow are searched for one that started after
 * the call with the same input and that no other call has claimed; that run is adopted. Only
 * when none is found does the caller hear that the outcome is unknown.
 */
export class StartReconciler {
  /** Runs handed to a call already, so two lost starts never adopt the same run. */
  private readonly claimed = new Set<string>();

  constructor(private readonly opts: ReconcileOptions) {}

  /** The run the lost start began, or throws `err` (with what was checked) when none is found. */
  async recover(provider: Provider, req: StartRequest, since: string, err: unknown): Promise<Run> {
    if (!isWorkflowError(err) || err.code !== 'outcome_unknown' || !provider.findStarted) throw err;
    for (let look = 0; look < 2; look++) {
      if (look > 0) await delay(this.opts.clock, SECOND_LOOK_MS, req.signal ?? new AbortController().signal);
      let candidates: Run[];
      try {
        candidates = await provider.findStarted(req, since, req.signal);
      } catch (lookErr) {
        this.opts.log.warn(`${provider.name}: could not look for the run a lost start of ${req.workflow.id} may have begun: ${(lookErr as Error).message}`);
        continue;
      }
      for (const run of candidates) {
        const k = `${run.provider}\u0000${run.runId}`;
        if (this.claimed.has(k)) continue;
        this.claimed.add(k); // before the await: a concurrent search must not take it too
        if (await this.opts.known(run.provider, run.runId)) continue;
        this.opts.log.info(`${provider.name}: the answer to a start of ${req.workflow.id} was lost; adopted run ${run.runId}, which started after the call with the same input`);
        return run;
      }
    }
    throw new WorkflowError('outcome_unknown', `${err.message} (Its recent runs were searched: none that started after this call has the same input, so whether it started is unknown.)`, { ...(err.detail ? { detail: err.detail } : {}), cause: err });
  }
}
