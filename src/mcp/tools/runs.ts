import { z } from 'zod';
import { extend } from '../../core/objects.js';
import { RUN_STATUSES } from '../../providers/types.js';
import { listHistory } from '../../runs/history.js';
import { awaitRun } from '../call.js';
import { ENVELOPE_PROPERTIES, ENVELOPE_SCHEMA, errorResult, resultOrError, runResult, toListedEnvelope } from '../envelope.js';
import { ownerFilter, unknownRunText, visibleRun } from '../principal.js';
import { defineTool } from '../tool.js';

export const handle = {
  provider: z.string().min(1).describe('The provider of the run, e.g. "local" (from the run envelope).'),
  run_id: z.string().min(1).describe('The run id from the run envelope.'),
};

/** A list_runs item: the envelope and who started the run (an admin sees everyone's). */
const LISTED_RUN = {
  ...ENVELOPE_SCHEMA,
  properties: { ...ENVELOPE_PROPERTIES, started_by: { type: ['string', 'null'], description: '"local", "token" or "<issuer>#<subject>"; null when not recorded.' } },
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
    const run = await visibleRun(ctx, args.provider, args.run_id);
    if (!run) return errorResult(unknownRunText(args.provider, args.run_id));
    const result = runResult(run, run.message ?? undefined);
    delete result.isError; // reading a failed run succeeds; the envelope says it failed
    return result;
  },
});

export const waitForRun = defineTool({
  name: 'wait_for_run',
  title: 'Wait for a workflow run',
  description:
    'Waits until a workflow run ends (or waits for a person), up to timeout_seconds, and returns its envelope; call it again while the status is "running". Cancelling this call does not cancel the run.',
  toolset: 'runs',
  input: z.object({ ...handle, timeout_seconds: z.number().min(0).max(3600).optional().describe('How long to wait at most; defaults to the server wait budget.') }),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: readOnly,
  async handler(args, ctx) {
    const run = await visibleRun(ctx, args.provider, args.run_id);
    if (!run) return errorResult(unknownRunText(args.provider, args.run_id));
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
    // Another principal's run is refused before the tracker is asked: nothing is cancelled or flagged.
    if (!(await visibleRun(ctx, args.provider, args.run_id))) return errorResult(unknownRunText(args.provider, args.run_id));
    return resultOrError(async () => {
      const { run, note } = await ctx.deps.tracker.cancel(args.provider, args.run_id);
      const result = runResult(run, note);
      delete result.isError; // the cancel itself worked
      return result;
    });
  },
});

export const listRuns = defineTool({
  name: 'list_runs',
  title: 'List workflow runs',
  description: 'Lists the runs you started through this server, newest first, optionally for one provider, workflow or status (an admin sees everyone\'s, and platform history: Looply; Cortex with workflow_id). Pass next_cursor back as cursor for more.',
  toolset: 'runs',
  input: z.object({
    provider: z.string().optional(),
    workflow_id: z.string().optional(),
    status: z.enum(RUN_STATUSES as [string, ...string[]]).optional(),
    origin: z.enum(['ALL', 'WORKFLOW', 'TRIGGER', 'RECORD', 'TEST', 'ENDPOINT', 'WEBHOOK']).optional().describe('Cortex: only runs started this way (with workflow_id).'),
    limit: z.number().int().min(1).max(100).default(20),
    cursor: z.string().optional(),
  }),
  outputSchema: {
    type: 'object',
    properties: { runs: { type: 'array', items: LISTED_RUN }, next_cursor: { type: ['string', 'null'] } },
    required: ['runs', 'next_cursor'],
  },
  annotations: readOnly,
  async handler(args, ctx) {
    return resultOrError(async () => {
      const page = await listHistory(ctx.deps.tracker, ctx.deps.tracker.providers, { provider: args.provider, workflowId: args.workflow_id, status: args.status as never, origin: args.origin, limit: args.limit, cursor: args.cursor, startedBy: ownerFilter(ctx.principal), platformHistory: ctx.principal.admin }, ctx.signal);
      const runs = page.runs.map((r) => extend(toListedEnvelope(r), { started_by: r.startedBy }));
      const lines = runs.map((r) => `${r.run_id}  ${r.provider}/${r.workflow_id}${r.version ? ` v${r.version}` : ''}  ${r.status}  ${r.started_at ?? ''}`);
      const text = runs.length ? `${lines.join('\n')}${page.nextCursor ? `\n(more: pass cursor "${page.nextCursor}")` : ''}` : 'No runs match.';
      return { structuredContent: { runs, next_cursor: page.nextCursor }, content: [{ type: 'text', text }] };
    });
  },
});

