import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LocalAbortController, whenAborted } from '../core/abort.js';
import { settledWithin } from '../core/clock.js';
import { internalDetail, publicMessage } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import type { Workflow, WorkflowVersion } from '../providers/types.js';
import type { JournalRun } from '../runs/journal.js';
import { WRITTEN_WAIT_MS } from '../runs/live-wait.js';
import { errorResult, runResult } from './envelope.js';
import { ProgressReporter } from './progress.js';
import type { PreparedSchema } from './schema.js';
import { waitBudgetMs, type CallContext } from './tool.js';

export function invalidArguments(tool: string, problems: string[]): CallToolResult {
  const list = problems.map((p) => `- ${p}`).join('\n');
  return errorResult(`Invalid arguments for ${tool}; no run was started.\n${list}\nFix these fields and call again (the tool's inputSchema says what each field expects).`);
}

/** Validate → start → journal → wait within the budget → envelope. */
export async function startAndAwait(
  ctx: CallContext,
  target: { workflow: Workflow; version: WorkflowVersion; prepared: PreparedSchema; toolName: string },
  args: unknown,
): Promise<CallToolResult> {
  const { deps } = ctx;
  const provider = deps.catalog.provider(target.workflow.provider);
  if (!provider) return errorResult(`Provider "${target.workflow.provider}" is not configured; list the tools again.`);
  const unchecked = target.prepared.fallback;
  const checked = target.prepared.validate(isPlainObject(args) ? args : {});
  // Validators compile on first use, so a schema Ajv cannot compile is found here: said once.
  if (unchecked === null && target.prepared.fallback !== null) deps.log.warn(`${target.workflow.provider}/${target.workflow.id} v${target.version.key}: input schema does not compile (${target.prepared.fallback}); the tool accepts any object`);
  if (!checked.ok) return invalidArguments(target.toolName, checked.problems);
  let run: JournalRun;
  try {
    const fileRoots = provider.capabilities.files ? await ctx.clientRoots() : null;
    run = await deps.tracker.start(provider, { workflow: target.workflow, version: target.version, input: checked.value, signal: ctx.signal, ...(fileRoots ? { fileRoots } : {}) }, ctx.principal.id);
  } catch (err) {
    deps.log.warn(`${target.toolName}: could not start the run: ${internalDetail(err)}`);
    return errorResult(publicMessage(err));
  }
  deps.log.debug(`${target.toolName}: started run ${run.provider}/${run.runId}`);
  return awaitRun(ctx, run, waitBudgetMs(ctx));
}

/**
 * Waits for a run within `timeoutMs`, sending progress when asked to. An abort from
 * notifications/cancelled cancels the run; an abort because the connection closed only detaches.
 * `budgetMs`: the call's whole budget, when `timeoutMs` is what is left of it (an adopted call).
 */
export async function awaitRun(ctx: CallContext, run: JournalRun, timeoutMs: number, opts: { cancelOnAbort?: boolean; budgetMs?: number } = {}): Promise<CallToolResult> {
  const { tracker } = ctx.deps;
  ctx.onRun?.(run, timeoutMs);
  // With replicas, the run is in the journal before a progress names it (another may be asked
  // next); a journal that stopped answering holds progress (and so the answer) back 5 s at most.
  const ready = ctx.progressToken !== undefined && tracker.store.sharedByReplicas ? settledWithin(tracker.recorded(run.provider, run.runId), WRITTEN_WAIT_MS) : undefined;
  const reporter = ctx.progressToken === undefined ? null : new ProgressReporter({ token: ctx.progressToken, send: ctx.sendNotification, ...(ready ? { ready } : {}) }, tracker.clock, Date.parse(run.createdAt) || tracker.clock.now());
  reporter?.update(run, run.message, tracker.fraction(run.provider, run.runId), true);
  const onAbort = (): void => {
    if (ctx.closing() || opts.cancelOnAbort === false) return;
    ctx.deps.log.info(`run ${run.provider}/${run.runId}: the client cancelled the call; cancelling the run`);
    void tracker.cancel(run.provider, run.runId).catch((err: unknown) => ctx.deps.log.warn(`cancel of ${run.runId} failed: ${internalDetail(err)}`));
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // Stops waiting when the call is cancelled or the server stops. Not AbortSignal.any: on this
  // long-lived `stopping` signal it leaves a weak reference per call for the GC to clear.
  const stopWaiting = new LocalAbortController();
  const stop = (): void => stopWaiting.abort();
  if (ctx.signal.aborted || ctx.deps.stopping.aborted) stop();
  ctx.signal.addEventListener('abort', stop, { once: true });
  const unstop = whenAborted(ctx.deps.stopping, stop); // one listener there for every call in flight
  try {
    const final = await tracker.wait(run.provider, run.runId, {
      timeoutMs,
      signal: stopWaiting.signal,
      onUpdate: (r, change) => reporter?.update(r, r.message, tracker.fraction(r.provider, r.runId), change.statusChanged),
    });
    await reporter?.queued; // a progress still waiting for the run's record goes before the answer
    const waited = Math.round((opts.budgetMs ?? timeoutMs) / 1000);
    const note = final.status === 'waiting' ? ctx.deps.catalog.provider(final.provider)?.resumeHint : final.status === 'running' || final.status === 'queued' ? `not finished after the ${waited} s wait budget` : undefined;
    return runResult(final, note);
  } finally {
    reporter?.stop();
    ctx.signal.removeEventListener('abort', onAbort);
    ctx.signal.removeEventListener('abort', stop);
    unstop();
  }
}

export function versionOf(workflow: Workflow, key: string | undefined): WorkflowVersion | undefined {
  const wanted = key ?? workflow.latest;
  return workflow.versions.find((v) => v.key === wanted) ?? workflow.versions.find((v) => v.key.replace(/^v/, '') === wanted.replace(/^v/, ''));
}
