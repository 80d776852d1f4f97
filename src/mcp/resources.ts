import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { measureJson } from '../core/json.js';
import type { Workflow } from '../providers/types.js';
import { listHistory } from '../runs/history.js';
import type { JournalRun } from '../runs/journal.js';
import { prepareVersion } from './catalog.js';
import { boundedOutput, resourceOutput, runUri, toEnvelope, toListedEnvelope } from './envelope.js';
import { ownerFilter, visibleRun, type Principal } from './principal.js';
import type { McpDeps } from './tool.js';

export const RUN_TEMPLATE = 'workflows://runs/{provider}/{run_id}';
export const WORKFLOW_TEMPLATE = 'workflows://workflows/{provider}/{workflow_id}';
export const WORKFLOW_RUNS_TEMPLATE = 'workflows://workflows/{provider}/{workflow_id}/runs';
const RESOURCE_NOT_FOUND = -32002;
const RECENT_RUNS = 50;
const PAGE = 100;

export const TEMPLATES: ResourceTemplate[] = [
  { uriTemplate: RUN_TEMPLATE, name: 'run', title: 'Workflow run', description: 'One run: its envelope, input, steps, latest progress message and what the platform said of it (Cortex: every step\'s output). Subscribe for updates.', mimeType: 'application/json' },
  { uriTemplate: WORKFLOW_TEMPLATE, name: 'workflow', title: 'Workflow', description: 'A workflow with its versions, their input schemas and tool names.', mimeType: 'application/json' },
  { uriTemplate: WORKFLOW_RUNS_TEMPLATE, name: 'workflow-runs', title: 'Workflow run history', description: "A workflow's runs, newest first.", mimeType: 'application/json' },
];

const enc = encodeURIComponent;
export const workflowUri = (provider: string, id: string): string => `workflows://workflows/${enc(provider)}/${enc(id)}`;
export const workflowRunsUri = (provider: string, id: string): string => `${workflowUri(provider, id)}/runs`;

export type ParsedUri =
  | { kind: 'run'; provider: string; runId: string }
  | { kind: 'workflow'; provider: string; workflowId: string }
  | { kind: 'workflow-runs'; provider: string; workflowId: string };

export function parseUri(uri: string): ParsedUri | null {
  const dec = (s: string): string | null => {
    try {
      return decodeURIComponent(s);
    } catch {
      return null;
    }
  };
  let m = /^workflows:\/\/runs\/([^/]+)\/([^/]+)$/.exec(uri);
  if (m) return both(dec(m[1]!), dec(m[2]!), (provider, runId) => ({ kind: 'run', provider, runId }));
  m = /^workflows:\/\/workflows\/([^/]+)\/([^/]+)(\/runs)?$/.exec(uri);
  if (m) return both(dec(m[1]!), dec(m[2]!), (provider, workflowId) => ({ kind: m![3] ? 'workflow-runs' : 'workflow', provider, workflowId }));
  return null;
}

function both<T>(a: string | null, b: string | null, f: (a: string, b: string) => T): T | null {
  return a === null || b === null ? null : f(a, b);
}

/** Workflows, and the newest runs `principal` may see. */
export async function listResources(deps: McpDeps, principal: Principal, cursor: string | undefined): Promise<{ resources: Resource[]; nextCursor?: string }> {
  const workflows: Resource[] = deps.catalog.workflows.map((w) => ({
    uri: workflowUri(w.provider, w.id), name: `${w.provider}/${w.id}`, title: w.name,
    description: `Workflow "${w.name}" on ${w.provider}: versions and input schemas.`, mimeType: 'application/json',
  }));
  const runs: Resource[] = (await deps.tracker.list({ limit: RECENT_RUNS, startedBy: ownerFilter(principal) })).runs.map((r) => ({
    uri: runUri(r.provider, r.runId), name: `run ${r.runId}`, title: `${r.provider}/${r.workflowId} run (${r.status})`, mimeType: 'application/json',
    annotations: { lastModified: r.updatedAt, audience: ['user', 'assistant'] },
  }));
  const all = [...workflows, ...runs];
  const start = cursor === undefined ? 0 : Number.parseInt(Buffer.from(cursor, 'base64url').toString('utf8'), 10);
  if (!Number.isInteger(start) || start < 0 || start > all.length) throw new McpError(-32602, 'Invalid cursor');
  const end = start + PAGE;
  return { resources: all.slice(start, end), ...(end < all.length ? { nextCursor: Buffer.from(String(end)).toString('base64url') } : {}) };
}

/** Another principal's run reads exactly as a run that does not exist: resource not found. */
export async function readResource(deps: McpDeps, principal: Principal, uri: string): Promise<{ contents: Array<{ uri: string; mimeType: string; text: string }> }> {
  const parsed = parseUri(uri);
  const body = parsed ? await resourceBody(deps, principal, parsed) : undefined;
  if (body === undefined) throw new McpError(RESOURCE_NOT_FOUND, 'Resource not found', { uri });
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
}

async function resourceBody(deps: McpDeps, principal: Principal, p: ParsedUri): Promise<unknown> {
  if (p.kind === 'run') {
    const run = await visibleRun({ deps, principal }, p.provider, p.runId);
    return run ? runDetail(deps, run) : undefined;
  }
  const workflow = deps.catalog.workflow(p.provider, p.workflowId);
  if (p.kind === 'workflow') return workflow ? workflowDetail(deps, workflow) : undefined;
  const page = await listHistory(deps.tracker, deps.tracker.providers, { provider: p.provider, workflowId: p.workflowId, limit: RECENT_RUNS, startedBy: ownerFilter(principal), platformHistory: principal.admin });
  if (!workflow && page.runs.length === 0) return undefined;
  return { provider: p.provider, workflow_id: p.workflowId, runs: page.runs.map(toListedEnvelope), next_cursor: page.nextCursor };
}

/** Each part of a run's detail is bounded so the whole stays well under the 8 MB message cap. */
const DETAIL_PART_MAX = 1024 * 1024;

function runDetail(deps: McpDeps, run: JournalRun): unknown {
  const uri = runUri(run.provider, run.runId);
  return {
    ...toEnvelope(run, 0), ...resourceOutput(run.output ?? null, uri), started_by: run.startedBy, input: boundedOutput(run.input, DETAIL_PART_MAX, uri), created_at: run.createdAt, updated_at: run.updatedAt, message: run.message,
    fraction: deps.tracker.fraction(run.provider, run.runId), steps: boundedOutput(run.steps, DETAIL_PART_MAX, uri), cancel_requested: run.cancelRequested,
    // What the platform itself said: its raw status, and per-step outputs where it gives them (Cortex).
    platform: boundedOutput(run.raw ?? null, DETAIL_PART_MAX, uri),
    workflow_uri: workflowUri(run.provider, run.workflowId),
  };
}

/**
 * The schemas a workflow resource carries at most: each is bounded where the catalog enters
 * (256 KB), but 200 versions of them would pass the 8 MB message cap (indented, as resources are
 * sent, a schema grows by half or more). Newest first; older
 * versions beyond this are listed without their schemas, with a note.
 */
export const WORKFLOW_SCHEMAS_MAX = 2 * 1024 * 1024;

function workflowDetail(deps: McpDeps, w: Workflow): unknown {
  const tools = new Map<string, string>();
  for (const t of deps.catalog.tools) if (t.workflow.provider === w.provider && t.workflow.id === w.id) tools.set(t.pinned ?? '', t.tool.name);
  const toolFor = (pinned: string | undefined): string | null => tools.get(pinned ?? '') ?? null;
  let budget = WORKFLOW_SCHEMAS_MAX;
  let left = 0;
  const newestFirst = [...w.versions].reverse().map((v) => {
    const input = prepareVersion(v).schema;
    const bytes = measureJson(input).bytes + (v.outputSchema ? measureJson(v.outputSchema).bytes : 0);
    // The latest version's schemas are always shown; the others while they fit.
    const shown = v.key === w.latest || bytes <= budget;
    if (shown) budget -= bytes;
    else left++;
    return { key: v.key, tool: toolFor(v.key), input_schema: shown ? input : null, output_schema: shown ? (v.outputSchema ?? null) : null, ...(shown ? {} : { schemas_left_out: true }), created_at: v.createdAt ?? null };
  });
  return {
    provider: w.provider, workflow_id: w.id, name: w.name, description: w.description ?? null, latest: w.latest, tool: toolFor(undefined),
    versions: newestFirst.reverse(),
    ...(left ? { versions_note: `The schemas of ${left} older versions are left out (over ${WORKFLOW_SCHEMAS_MAX} bytes in all; marked schemas_left_out): each version's tool in tools/list carries its inputSchema.` } : {}),
    runs_uri: workflowRunsUri(w.provider, w.id),
  };
}

const COMPLETION_MAX = 100;

/** A completion answer: at most 100 values (the spec's cap), and whether there are more. */
export interface Completion {
  values: string[];
  /** Left out when counting would cost a full scan (run ids). */
  total?: number;
  hasMore: boolean;
}

/** completion/complete for the templates' arguments; run ids only of the runs `principal` may see. */
export async function complete(deps: McpDeps, principal: Principal, template: string, argument: string, value: string, context: Record<string, string>): Promise<Completion> {
  if (!TEMPLATES.some((t) => t.uriTemplate === template)) return { values: [], total: 0, hasMore: false };
  const prefix = value.toLowerCase();
  const provider = context['provider'];
  let values: string[] = [];
  if (argument === 'provider') values = deps.catalog.providerNames();
  else if (argument === 'workflow_id') values = deps.catalog.workflows.filter((w) => !provider || w.provider === provider).map((w) => w.id);
  else if (argument === 'run_id') {
    // One more than shown tells whether there are more, without counting them all.
    const ids = await deps.tracker.store.recentRunIds(provider, value, COMPLETION_MAX + 1, ownerFilter(principal));
    return { values: ids.slice(0, COMPLETION_MAX), hasMore: ids.length > COMPLETION_MAX };
  }
  const all = [...new Set(values)].filter((v) => v.toLowerCase().startsWith(prefix));
  return { values: all.slice(0, COMPLETION_MAX), total: all.length, hasMore: all.length > COMPLETION_MAX };
}
