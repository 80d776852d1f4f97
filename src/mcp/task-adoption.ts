import type { JournalRun } from '../runs/journal.js';
import { awaitRun } from './call.js';
import { errorResult } from './envelope.js';
import { LOCAL_PRINCIPAL } from './principal.js';
import type { ClaimedTask } from './tasks.js';
import type { CallContext, McpDeps } from './tool.js';

/** A task with no TTL waits this long for its run, as a new task would (tasks.ts). */
const TTL_DEFAULT_MS = 3_600_000;

/**
 * MCP tasks whose replica stopped follow their run: the replica that adopts the run takes the
 * run's working tasks and, when the run settles, stores the result the task's own call would
 * have stored (a run that could not move ends failed, saying why — so does its task). A task
 * whose replica stopped before it had a run cannot go on: it is failed, saying so, within
 * about one lease period. `tasks/cancel` of a task taken here cancels its run, as anywhere.
 */
export function followAdoptedTasks(deps: McpDeps, leaseMs: number): () => void {
  const taken = new Map<string, AbortController>();
  const stops = [
    deps.tracker.onAdopted((run) => void takeTasks(deps, run, taken).catch((err: Error) => deps.log.warn(`tasks of run ${run.runId}: could not take them over: ${err.message}`))),
    deps.tasks.onCancelled((taskId) => taken.get(taskId)?.abort()),
  ];
  const orphaned = errorResult('The workflows-mcp server handling this task stopped before it started a run; no run was started. Call the tool again.');
  const timer = setInterval(() => {
    deps.tasks.failOrphans(orphaned).then(
      (n) => n > 0 && deps.log.info(`${n} tasks of a stopped server had not started a run; marked failed`),
      (err: Error) => deps.log.warn(`tasks: could not look for those of stopped servers: ${err.message}`),
    );
  }, leaseMs);
  timer.unref();
  return () => {
    for (const stop of stops) stop();
    clearInterval(timer);
  };
}

async function takeTasks(deps: McpDeps, run: JournalRun, taken: Map<string, AbortController>): Promise<void> {
  const tasks = await deps.tasks.claimRunTasks(run, deps.tracker.owner);
  if (tasks.length) deps.log.info(`run ${run.provider}/${run.runId}: took over ${tasks.length} MCP task(s) of the stopped server; their results follow the run`);
  await Promise.all(tasks.map((t) => finish(deps, run, t, taken)));
}

async function finish(deps: McpDeps, run: JournalRun, task: ClaimedTask, taken: Map<string, AbortController>): Promise<void> {
  const cancel = new AbortController();
  taken.set(task.taskId, cancel);
  try {
    const waitMs = Math.max(0, Date.parse(task.createdAt) + (task.ttl ?? TTL_DEFAULT_MS) - Date.now());
    // As the task's own call: an abort by tasks/cancel cancels the run; this server stopping only lets go.
    const ctx: CallContext = {
      deps, principal: LOCAL_PRINCIPAL, signal: AbortSignal.any([cancel.signal, deps.stopping]), progressToken: undefined,
      sendNotification: async () => {}, clientRoots: async () => null, closing: () => deps.stopping.aborted,
    };
    const result = deps.redact(await awaitRun(ctx, run, waitMs));
    if (deps.stopping.aborted || cancel.signal.aborted) return; // the run's next adopter takes the task; a cancelled task stays so
    await deps.tasks.storeTaskResult(task.taskId, result.isError ? 'failed' : 'completed', result).catch((err: Error) => deps.log.debug(`task ${task.taskId}: result not stored (${err.message})`));
  } finally {
    taken.delete(task.taskId);
  }
}
