import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { globToRegExp } from '../core/glob.js';
import { isPlainObject, type JsonObject } from '../core/json.js';
import type { Workflow, WorkflowVersion } from '../providers/types.js';
import { ENVELOPE_PROPERTIES, ENVELOPE_SCHEMA, identifiedSchema, OUTPUT_NOTE_SCHEMA } from './envelope.js';
import type { ToolRef } from './naming.js';
import { prepareSchema, type PreparedSchema } from './schema.js';

/** One provider's filters from the config: which workflows and versions become tools, and their hint. */
export interface ProviderFilter {
  include: string[];
  exclude: string[];
  versions: 'all' | 'latest';
  destructive: boolean;
}

/** A listed workflow tool and what a call to it needs. */
export interface WorkflowEntry {
  tool: Tool;
  ref: ToolRef;
  workflow: Workflow;
  /** The version this tool pins, or undefined for "the latest at call time". */
  pinned: string | undefined;
  prepared: PreparedSchema;
}

const DESCRIPTION_MAX = 1000;

/** A glob (`*`, `?`) over a workflow's id or name, case-insensitive. */
export function globMatch(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}

/** A provider's `include`/`exclude` globs over a workflow's id or name. */
export function passesFilter(w: Workflow, f: ProviderFilter | undefined): boolean {
  if (!f) return true;
  const hit = (g: string): boolean => globMatch(g, w.id) || globMatch(g, w.name);
  return f.include.some(hit) && !f.exclude.some(hit);
}

/** One workflow version as the tool tools/list shows: title, short description, schemas, hints. */
export function workflowTool(name: string, workflow: Workflow, version: WorkflowVersion, pinned: string | undefined, prepared: PreparedSchema, destructive: boolean): Tool {
  return {
    name,
    title: pinned === undefined ? workflow.name : `${workflow.name} · v${pinned}`,
    description: describe(workflow, version, pinned, prepared),
    inputSchema: prepared.schema as Tool['inputSchema'],
    ...(outputSchemaOf(version) ?? {}),
    annotations: workflowAnnotations(destructive),
  };
}

/**
 * Only the hints whose value differs from what a client assumes when a hint is absent: the spec
 * defaults `readOnlyHint` and `idempotentHint` to false, as every client reading a missing hint
 * does. `destructiveHint` (spec default true) and `openWorldHint` (true) stay explicit: a client
 * that reads a missing hint as false would take a real run for a safer one.
 */
function workflowAnnotations(destructive: boolean): Tool['annotations'] {
  return { destructiveHint: destructive, openWorldHint: true };
}

/**
 * Short on purpose: tools/list repeats it for every tool, and the server instructions already
 * say what "running" and wait_for_run mean. The line names the platform and workflow id (for
 * run_workflow, list_runs and the workflow resources) and the version.
 */
function describe(w: Workflow, v: WorkflowVersion, pinned: string | undefined, prepared: PreparedSchema): string {
  const own = (w.description ?? '').trim();
  const body = own.length > DESCRIPTION_MAX ? `${own.slice(0, DESCRIPTION_MAX - 1)}…` : own;
  const which = pinned === undefined ? ` (latest: v${v.key})` : `, version ${pinned}`;
  const lines = [body, `Runs ${w.provider} workflow ${w.id}${which}.`];
  if (v.note) lines.push(v.note);
  if (prepared.wrapped) lines.push('Pass the workflow input as the "input" argument.');
  if (prepared.fallback) lines.push('The platform gave no usable input schema, so any object is accepted; the platform validates it.');
  return lines.filter(Boolean).join('\n\n');
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/**
 * A workflow tool declares an output schema only when its platform gives the workflow one: the
 * run envelope with `output` typed (or null, or the note that stands in for an output too big to
 * send). Without it the tool still returns the envelope as
 * `structuredContent`, undeclared: an SDK client compiles a validator for every declared
 * schema on every listing, and the same generic envelope on every tool was half of tools/list.
 * A schema the client could not compile (draft-07 Ajv) or one with `$ref`s is not declared.
 */
function outputSchemaOf(v: WorkflowVersion): { outputSchema: Tool['outputSchema'] } | undefined {
  if (!isPlainObject(v.outputSchema)) return undefined;
  const { $schema: _dialect, ...own } = v.outputSchema;
  if (JSON.stringify(own).includes('"$ref"')) return undefined;
  const schema = { ...ENVELOPE_SCHEMA, properties: { ...ENVELOPE_PROPERTIES, output: { anyOf: [own, { type: 'null' }, OUTPUT_NOTE_SCHEMA], description: ENVELOPE_PROPERTIES.output.description } } };
  if (prepareSchema({ ...schema, $schema: DRAFT_07 }).problem()) return undefined;
  return { outputSchema: identifiedSchema(schema) as unknown as Tool['outputSchema'] };
}

/** The advertised, validating schema of one version: its own schema with its defaults folded in. */
export function prepareVersion(v: WorkflowVersion): PreparedSchema {
  return prepareSchema(withDefaults(v.inputSchema, v.defaults));
}

function withDefaults(schema: JsonObject, defaults: Record<string, unknown> | undefined): JsonObject {
  if (!defaults || !isPlainObject(schema['properties'])) return schema;
  const props: JsonObject = { ...schema['properties'] };
  for (const [k, v] of Object.entries(defaults)) {
    const p = props[k];
    if (isPlainObject(p) && !('default' in p)) props[k] = { ...p, default: v };
  }
  return { ...schema, properties: props };
}
