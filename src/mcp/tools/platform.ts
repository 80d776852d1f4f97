import { z } from 'zod';
import { awaitRun } from '../call.js';
import { ENVELOPE_SCHEMA, errorResult, resultOrError } from '../envelope.js';
import type { Run } from '../../providers/types.js';
import { unknownRunText, visibleRun, workflowRefusal } from '../principal.js';
import { defineTool, waitBudgetMs, type CallContext, type McpDeps } from '../tool.js';
import { handle } from './runs.js';

/** Tools only some platforms support: each is listed only when a configured provider has the method. */
const earlierWorkflowId = z.string().min(1).optional().describe('Only needed for a run this server did not start.');

/**
 * The run a platform tool acts on: as this server knows it, or — for admins only, since such a
 * run has no owner here — by ids alone (started elsewhere). Another principal's run reads as unknown.
 */
async function runFor(ctx: CallContext, provider: string, runId: string, workflowId: string | undefined): Promise<Run | string> {
  const known = await visibleRun(ctx, provider, runId);
  if (known) return known;
  if (!ctx.principal.admin) return unknownRunText(provider, runId);
  if (!workflowId) return `Run "${runId}" is not known to this server; pass its workflow_id too.`;
  return { provider, workflowId, runId, status: 'unknown', input: null, output: null, error: null, createdAt: new Date().toISOString(), startedAt: null, endedAt: null };
}

const supports = (method: 'resume' | 'setSchedule' | 'replay' | 'setRetention') => (deps: McpDeps): boolean =>
  deps.catalog.providerNames().some((n) => typeof deps.catalog.provider(n)?.[method] === 'function');

export const resumeRun = defineTool({
  name: 'resume_run',
  title: 'Resume a waiting run',
  description: 'Sends the response a run is waiting for (status "waiting", e.g. a Looply approval) and waits for the run to go on, like wait_for_run. Only runs that are waiting can be resumed.',
  toolset: 'runs',
  input: z.object({
    ...handle,
    payload: z.looseObject({}).default({}).describe('The response data the workflow waits for.'),
    source: z.enum(['TEAMS', 'SAP']).default('TEAMS').describe('Looply: where the response comes from.'),
  }),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  available: supports('resume'),
  async handler(args, ctx) {
    const run = await visibleRun(ctx, args.provider, args.run_id);
    if (!run) return errorResult(unknownRunText(args.provider, args.run_id));
    if (run.status !== 'waiting') return errorResult(`Run ${args.run_id} is ${run.status}, not waiting, so there is nothing to resume.`);
    try {
      await ctx.deps.tracker.resume(args.provider, args.run_id, args.payload, args.source);
    } catch (err) {
      return errorResult((err as Error).message);
    }
    // The run reads "waiting" until the next poll sees it move on; wait for that first.
    const moved = await ctx.deps.tracker.waitForChange(args.provider, args.run_id, 'waiting', Math.min(30_000, ctx.deps.settings.waitSeconds * 1000));
    return awaitRun(ctx, moved ?? run, ctx.deps.settings.waitSeconds * 1000, { cancelOnAbort: false });
  },
});

export const setSchedule = defineTool({
  name: 'set_schedule',
  title: 'Pause or resume a schedule',
  description: 'Pauses or resumes the schedule of a scheduled workflow version (Looply).',
  toolset: 'runs',
  input: z.object({
    provider: z.string().min(1).default('looply'),
    workflow_id: z.string().min(1),
    version: z.string().min(1).describe('The workflow version whose schedule to change.'),
    action: z.enum(['pause', 'play']),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  available: supports('setSchedule'),
  async handler(args, ctx) {
    const provider = ctx.deps.catalog.provider(args.provider);
    if (!provider?.setSchedule) return errorResult(`Provider "${args.provider}" has no schedules to change.`);
    const setSchedule = provider.setSchedule.bind(provider);
    return resultOrError(async () => ({ content: [{ type: 'text', text: await setSchedule(args.workflow_id, args.version, args.action) }] }));
  },
});

export const replayRun = defineTool({
  name: 'replay_run',
  title: 'Replay a run from a step',
  description: 'Starts a new run of the same workflow that replays an earlier run from one of its steps (Cortex), and waits for it like a workflow tool, with progress per step. The earlier run is left as it is.',
  toolset: 'runs',
  input: z.object({
    provider: z.string().min(1).default('cortex'),
    run_id: z.string().min(1).describe('The earlier run.'),
    step_key: z.string().min(1).describe('The key of the step to replay from (the steps are in the run resource).'),
    workflow_id: earlierWorkflowId,
    retention: z.number().optional().describe('Days Cortex keeps the new run\'s data (-1: forever); default from the configuration.'),
  }),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  available: supports('replay'),
  async handler(args, ctx) {
    const impl = ctx.deps.catalog.provider(args.provider);
    if (!impl?.replay) return errorResult(`Provider "${args.provider}" cannot replay runs.`);
    const replay = impl.replay.bind(impl);
    const earlier = await runFor(ctx, args.provider, args.run_id, args.workflow_id);
    if (typeof earlier === 'string') return errorResult(earlier);
    const refused = workflowRefusal(ctx, earlier.provider, earlier.workflowId);
    if (refused) return errorResult(refused);
    return resultOrError(async () => awaitRun(ctx, await ctx.deps.tracker.adopt(impl, await replay(earlier, args.step_key, args.retention), ctx.principal.id), waitBudgetMs(ctx)));
  },
});

export const setRunRetention = defineTool({
  name: 'set_run_retention',
  title: 'Change how long a run is kept',
  description: 'Changes how many days the platform keeps a run\'s data (Cortex); -1 keeps it forever.',
  toolset: 'runs',
  input: z.object({ ...handle, provider: z.string().min(1).default('cortex'), days: z.number().describe('Days to keep the run\'s data from now on; -1 keeps it forever.'), workflow_id: earlierWorkflowId }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  available: supports('setRetention'),
  async handler(args, ctx) {
    const impl = ctx.deps.catalog.provider(args.provider);
    if (!impl?.setRetention) return errorResult(`Provider "${args.provider}" has no retention to change.`);
    const setRetention = impl.setRetention.bind(impl);
    const run = await runFor(ctx, args.provider, args.run_id, args.workflow_id);
    if (typeof run === 'string') return errorResult(run);
    return resultOrError(async () => ({ content: [{ type: 'text', text: await setRetention(run, args.days) }] }));
  },
});
