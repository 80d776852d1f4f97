import { z } from 'zod';
import { startAndAwait, versionOf } from '../call.js';
import { ENVELOPE_SCHEMA, errorResult } from '../envelope.js';
import { FRESH_WAIT_MS, prepareVersion } from '../catalog.js';
import { workflowRefusal } from '../principal.js';
import { defineTool } from '../tool.js';

export const runWorkflow = defineTool({
  name: 'run_workflow',
  title: 'Run any workflow',
  description:
    'Runs any workflow by provider and workflow_id (find them with search_workflows), at its latest version unless version is given: the same as calling the workflow\'s own tool.',
  toolset: 'generic',
  input: z.object({
    provider: z.string().min(1),
    workflow_id: z.string().min(1),
    version: z.string().optional().describe('A version key; the latest when omitted.'),
    // looseObject, not record: a record lists `propertyNames`, which strict converters (OpenAI Agents) reject.
    input: z.looseObject({}).default({}).describe("The workflow's input, as its input schema (see search_workflows) describes."),
  }),
  outputSchema: ENVELOPE_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, ctx) {
    const stale = await ctx.deps.catalog.whenFresh(args.provider, FRESH_WAIT_MS);
    if (stale) return errorResult(stale);
    const workflow = ctx.deps.catalog.workflow(args.provider, args.workflow_id);
    if (!workflow) return errorResult(`No workflow "${args.workflow_id}" for provider "${args.provider}" in the catalog. Call search_workflows to find it.`);
    const refused = workflowRefusal(ctx, workflow.provider, workflow.id);
    if (refused) return errorResult(refused);
    const version = versionOf(workflow, args.version);
    if (!version) return errorResult(`Workflow "${workflow.id}" has no version "${args.version}"; it has ${workflow.versions.map((v) => v.key).join(', ')}.`);
    const prepared = prepareVersion(version);
    const callArgs = prepared.wrapped ? { input: args.input } : args.input;
    return startAndAwait(ctx, { workflow, version, prepared, toolName: 'run_workflow' }, callArgs);
  },
});

export const searchWorkflows = defineTool({
  name: 'search_workflows',
  title: 'Search workflows',
  description:
    'Finds workflows by words in their name, id or description: their versions, tool names and (for up to 10 results) input schemas. For run_workflow, when a workflow\'s own tool is not listed.',
  toolset: 'generic',
  input: z.object({ query: z.string().optional(), provider: z.string().optional(), limit: z.number().int().min(1).max(100).default(20) }),
  outputSchema: { type: 'object', properties: { workflows: { type: 'array', items: { type: 'object' } }, total: { type: 'integer' } }, required: ['workflows', 'total'] },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const words = (args.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const hits = ctx.deps.catalog.workflows.filter((w) => {
      if (args.provider && w.provider !== args.provider) return false;
      const hay = `${w.id} ${w.name} ${w.description ?? ''}`.toLowerCase();
      return words.every((word) => hay.includes(word));
    });
    const tools = ctx.deps.catalog.tools;
    const shown = hits.slice(0, args.limit).map((w) => {
      const latest = versionOf(w, undefined);
      const tool = tools.find((t) => t.workflow.provider === w.provider && t.workflow.id === w.id && t.pinned === undefined)?.tool.name ?? null;
      return {
        provider: w.provider, workflow_id: w.id, name: w.name, description: (w.description ?? '').slice(0, 300),
        versions: w.versions.map((v) => v.key), latest: w.latest, tool,
        ...(hits.length <= 10 && latest ? { input_schema: prepareVersion(latest).schema } : {}),
      };
    });
    const text = shown.length
      ? shown.map((w) => `${w.provider}/${w.workflow_id} "${w.name}" versions ${w.versions.join(', ')}${w.tool ? ` (tool ${w.tool})` : ''}`).join('\n')
      : 'No workflow matches; try fewer words, or call refresh if a workflow was just added.';
    return { structuredContent: { workflows: shown, total: hits.length }, content: [{ type: 'text', text }] };
  },
});

/** How long `refresh` waits before it answers with what is read so far (the reading goes on). */
const REFRESH_ANSWER_MS = 20_000;

export const refresh = defineTool({
  name: 'refresh',
  title: 'Refresh the workflow catalog',
  description: 'Reads every provider\'s workflows again now (also done on a timer). Returns the catalog\'s size and any workflow that could not be loaded; after 20 s, what is read so far.',
  toolset: 'generic',
  input: z.strictObject({}), // `additionalProperties: false`: strict converters refuse an open object with no fields
  outputSchema: { type: 'object', properties: { changed: { type: 'boolean' }, workflows: { type: 'integer' }, tools: { type: 'integer' }, problems: { type: 'array' }, still_reading: { type: 'array', items: { type: 'string' } } }, required: ['changed', 'workflows', 'tools', 'problems'] },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async handler(_args, ctx) {
    const outcome = await ctx.deps.catalog.refreshFor(REFRESH_ANSWER_MS);
    const reading = outcome === null ? ctx.deps.catalog.reading : [];
    const changed = outcome ?? false;
    const problems = ctx.deps.catalog.allProblems;
    const summary = { changed, workflows: ctx.deps.catalog.workflows.length, tools: ctx.deps.catalog.tools.length, problems, ...(reading.length ? { still_reading: reading } : {}) };
    const soFar = reading.map((p) => `${p} (${ctx.deps.catalog.readSoFar(p)} of its workflows read so far)`);
    const state = reading.length ? ` so far; still reading ${soFar.join(', ')}: more tools arrive with tools/list_changed` : changed ? ' (changed; list the tools again)' : ' (unchanged)';
    const text = `${summary.workflows} workflows, ${summary.tools} workflow tools${state}.${problems.length ? `\nNot loaded:\n${problems.map((p) => `- ${p.where}: ${p.message}`).join('\n')}` : ''}`;
    return { structuredContent: summary, content: [{ type: 'text', text }] };
  },
});
