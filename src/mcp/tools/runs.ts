import { z } from 'zod';
import { RUN_STATUSES } from '../../providers/types.js';
import { listHistory } from '../../runs/history.js';
import { awaitRun } from '../call.js';
import { ENVELOPE_SCHEMA, errorResult, runResult, toEnvelope } from '../envelope.js';
import { defineTool } from '../tool.js';

const handle = {
  provider: z.string().min(1).describe('The provider of the run, e.g. "local" (from the run envelope).'),
  run_id: z.string().min(1).describe('The run id from the run envelope.'),
};

const readOnly = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

export const getRun = defineTool({
  name: 'get_run',
  title: 'Get a workflow run',
  description: 'Returns the current state of a workflow run (status, output or error) without waiting. Use wait_for_run to wait for the end.',
  toolset: 'runs',
  input: z.object(handle),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: readOnly,
  async handler(args, ctx) {
    const run = ctx.deps.tracker.get(args.provider, args.run_id);
    if (!run) return errorResult(`No run "${args.run_id}" for provider "${args.provider}" is known to this server. Call list_runs to see recent runs.`);
    const result = runResult(run, run.message ?? undefined);
    delete result.isError; // reading a failed run succeeds; the envelope says it failed
    return result;
  },
});

export const waitForRun = defineTool({
  name: 'wait_for_run',
  title: 'Wait for a workflow run',
  description:
    'Waits until a workflow run ends (or waits for a person), up to timeout_seconds, sending progress meanwhile, and returns its envelope. Call it again while the status is still "running". Cancelling this call does not cancel the run; use cancel_run for that.',
  toolset: 'runs',
  input: z.object({ ...handle, timeout_seconds: z.number().min(0).max(3600).optional().describe('How long to wait at most; defaults to the server wait budget.') }),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: readOnly,
  async handler(args, ctx) {
    const run = ctx.deps.tracker.get(args.provider, args.run_id);
    if (!run) return errorResult(`No run "${args.run_id}" for provider "${args.provider}" is known to this server. Call list_runs to see recent runs.`);
    return awaitRun(ctx, run, (args.timeout_seconds ?? ctx.deps.settings.waitSeconds) * 1000, { cancelOnAbort: false });
  },
});

export const cancelRun = defineTool({
  name: 'cancel_run',
  title: 'Cancel a workflow run',
  description: 'Asks the platform to stop a run that is still going and returns its envelope. A run that already ended is left as it is.',
  toolset: 'runs',
  input: z.object(handle),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    try {
      const { run, note } = await ctx.deps.tracker.cancel(args.provider, args.run_id);
      const result = runResult(run, note);
      delete result.isError; // the cancel itself worked
      return result;
    } catch (err) {
      return errorResult((err as Error).message);
    }
  },
});

export const listRuns = defineTool({
  name: 'list_runs',
  title: 'List workflow runs',
  description: 'Lists workflow runs newest first, optionally for one provider, workflow or status: the runs started through this server, and, for a provider that keeps a history (Looply), its runs started elsewhere too. Pass next_cursor back as cursor for more.',
  toolset: 'runs',
  input: z.object({
    provider: z.string().optional(),
    workflow_id: z.string().optional(),
    status: z.enum(RUN_STATUSES as [string, ...string[]]).optional(),
    limit: z.number().int().min(1).max(100).default(20),
    cursor: z.string().optional(),
  }),
  outputSchema: {
    type: 'object',
    properties: { runs: { type: 'array', items: ENVELOPE_SCHEMA }, next_cursor: { type: ['string', 'null'] } },
    required: ['runs', 'next_cursor'],
  },
  annotations: readOnly,
  async handler(args, ctx) {
    try {
      const page = await listHistory(ctx.deps.tracker, ctx.deps.tracker.providers, { provider: args.provider, workflowId: args.workflow_id, status: args.status as never, limit: args.limit, cursor: args.cursor }, ctx.signal);
      const runs = page.runs.map(toEnvelope);
      const lines = runs.map((r) => `${r.run_id}  ${r.provider}/${r.workflow_id}${r.version ? ` v${r.version}` : ''}  ${r.status}  ${r.started_at ?? ''}`);
      const text = runs.length ? `${lines.join('\n')}${page.nextCursor ? `\n(more: pass cursor "${page.nextCursor}")` : ''}` : 'No runs match.';
      return { structuredContent: { runs, next_cursor: page.nextCursor }, content: [{ type: 'text', text }] };
    } catch (err) {
      return errorResult((err as Error).message);
    }
  },
});

const supports = (method: 'resume' | 'setSchedule') => (deps: import('../tool.js').McpDeps): boolean =>
  deps.catalog.providerNames().some((n) => typeof deps.catalog.provider(n)?.[method] === 'function');

export const resumeRun = defineTool({
  name: 'resume_run',
  title: 'Resume a waiting run',
  description: 'Sends the response a run is waiting for (status "waiting", e.g. a Looply approval) and waits for the run to go on, like wait_for_run. Only runs that are waiting can be resumed.',
  toolset: 'runs',
  input: z.object({
    ...handle,
    payload: z.record(z.string(), z.unknown()).default({}).describe('The response data the workflow waits for.'),
    source: z.enum(['TEAMS', 'SAP']).default('TEAMS').describe('Looply: where the response comes from.'),
  }),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  available: supports('resume'),
  async handler(args, ctx) {
    const run = ctx.deps.tracker.get(args.provider, args.run_id);
    if (!run) return errorResult(`No run "${args.run_id}" for provider "${args.provider}" is known to this server. Call list_runs to see recent runs.`);
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
    try {
      return { content: [{ type: 'text', text: await provider.setSchedule(args.workflow_id, args.version, args.action) }] };
    } catch (err) {
      return errorResult((err as Error).message);
    }
  },
});
