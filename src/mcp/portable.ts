import type { Implementation } from '@modelcontextprotocol/sdk/types.js';
import { isPlainObject, stableStringify, type JsonObject } from '../core/json.js';

/**
 * The portable schema form: what weak client-side converters (LangChain's merge of unions, OpenAI
 * Agents' strict mode, Mastra's zod conversion) accept without rejecting valid input. It only ever
 * widens: every input the full schema accepts, the portable one accepts too, and the server still
 * validates against the full schema before anything starts.
 */
export type SchemaMode = 'full' | 'portable';
export type SchemaSetting = SchemaMode | 'auto';

/** Clients known to mangle full schemas, by the `clientInfo.name` they send (see the README). */
const NEEDS_PORTABLE: Array<{ client: string; test: (name: string) => boolean }> = [
  // MultiServerMCPClient names itself after the package; its converter keeps only the last branch of a union property.
  { client: 'LangChain.js @langchain/mcp-adapters', test: (n) => n === '@langchain/mcp-adapters' || n.startsWith('langchain') },
  // OpenAI Agents JS names the connection after the server unless told otherwise: "stdio: <command>", "streamable-http: <url>".
  { client: 'OpenAI Agents SDK (default server names)', test: (n) => /^(stdio|sse|streamable-http): /.test(n) || n.startsWith('openai-agents') },
];

/** The schema form one connection gets: the setting, or for `auto` the client's known needs. */
export function schemaModeFor(setting: SchemaSetting, client: Implementation | undefined): SchemaMode {
  if (setting !== 'auto') return setting;
  return client && NEEDS_PORTABLE.some((c) => c.test(client.name)) ? 'portable' : 'full';
}

/** Keywords strict converters reject; dropping them only widens what is accepted. */
const DROPPED = ['$schema', '$id', '$anchor', '$dynamicAnchor', '$comment', '$defs', 'definitions', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'dependencies', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'contains', 'minContains', 'maxContains', 'minProperties', 'maxProperties'];
/** Rules that converters drop silently (Mastra: format, default); repeated in the description so the model still sees them. */
const NOTED = ['format', 'default', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems', 'uniqueItems'];
const META = new Set(['description', 'title', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);
const REF_DEPTH_MAX = 8;
const NODE_BUDGET = 20_000;
const SIZE_MAX = 256 * 1024;

class TooLarge extends Error {}

interface Walk {
  root: JsonObject;
  /** `$ref`s being inlined on the current path: a repeat is recursion. */
  stack: string[];
  nodes: number;
}

const memo = new WeakMap<object, JsonObject>();

/** The portable form of a tool's input schema (root `type: "object"` stays an object). */
export function portableSchema(schema: JsonObject): JsonObject {
  const hit = memo.get(schema);
  if (hit) return hit;
  let out: JsonObject;
  try {
    out = jsonTextForOpenObjects(convert(schema, { root: schema, stack: [], nodes: 0 }));
    if (JSON.stringify(out).length > SIZE_MAX) throw new TooLarge();
  } catch (err) {
    if (!(err instanceof TooLarge)) throw err;
    out = outline(schema);
  }
  out['type'] = 'object';
  memo.set(schema, out);
  return out;
}

/** Too large to inline: the top-level fields with their descriptions, any value each. */
function outline(schema: JsonObject): JsonObject {
  const props = isPlainObject(schema['properties']) ? schema['properties'] : {};
  const properties: JsonObject = {};
  for (const [k, v] of Object.entries(props)) properties[k] = { description: `${isPlainObject(v) && typeof v['description'] === 'string' ? `${v['description']} ` : ''}(Its full schema is too large to list here; the server checks it.)` };
  return { type: 'object', properties, ...(Array.isArray(schema['required']) ? { required: schema['required'] } : {}), description: `${typeof schema['description'] === 'string' ? `${schema['description']} ` : ''}(Input schema shortened; the server checks the full one.)` };
}

function convert(node: unknown, w: Walk): JsonObject {
  if (++w.nodes > NODE_BUDGET) throw new TooLarge();
  if (!isPlainObject(node)) return {}; // `true`, or `false` (widened: the server still refuses it)
  let s: JsonObject = { ...node };
  if (typeof s['$ref'] === 'string') s = inline(s, w);
  if (Array.isArray(s['allOf'])) s = flattenAllOf(s, w);
  const union = (s['oneOf'] ?? s['anyOf']) as unknown;
  if (Array.isArray(union)) s = unionOf(s, union, w);
  for (const k of DROPPED) delete s[k];
  if (s['patternProperties'] !== undefined) {
    delete s['patternProperties'];
    if (s['additionalProperties'] === false) delete s['additionalProperties']; // the pattern-named fields must still pass
  }
  if ('const' in s) s = { ...s, enum: [s['const']] }, delete s['const'];
  if (isPlainObject(s['properties'])) {
    const props: JsonObject = {};
    for (const [k, v] of Object.entries(s['properties'])) props[k] = convert(v, w);
    s['properties'] = props;
    if (s['type'] === undefined) s['type'] = 'object';
  }
  if (Array.isArray(s['items'])) s['items'] = s['items'].map((i) => convert(i, w));
  else if (s['items'] !== undefined) s['items'] = convert(s['items'], w);
  if (Array.isArray(s['prefixItems'])) delete s['prefixItems'];
  if (isPlainObject(s['additionalProperties'])) s['additionalProperties'] = convert(s['additionalProperties'], w);
  if (Array.isArray(s['anyOf'])) s['anyOf'] = (s['anyOf'] as unknown[]).map((b) => convert(b, w));
  return noted(s);
}

/** `$ref` → the referenced schema with the siblings laid over it; recursion and depth end in "any value". */
function inline(s: JsonObject, w: Walk): JsonObject {
  const ref = s['$ref'] as string;
  const { $ref: _ref, ...siblings } = s;
  const target = resolvePointer(w.root, ref);
  if (target === undefined || w.stack.includes(ref) || w.stack.length >= REF_DEPTH_MAX) {
    const name = ref.split('/').pop() || ref;
    return { ...siblings, description: `${typeof siblings['description'] === 'string' ? `${siblings['description']} ` : ''}(A "${name}" value; the server checks its shape.)` };
  }
  w.stack.push(ref);
  try {
    return { ...convert(target, w), ...siblings };
  } finally {
    w.stack.pop();
  }
}

function resolvePointer(root: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let at: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isPlainObject(at) && !Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** allOf: every branch applies, so their fields join the parent's (the parent's own win). */
function flattenAllOf(s: JsonObject, w: Walk): JsonObject {
  const { allOf, ...rest } = s;
  const out: JsonObject = { ...rest };
  for (const b of allOf as unknown[]) {
    const branch = convert(b, w);
    const { properties, required, ...others } = branch;
    if (isPlainObject(properties)) out['properties'] = { ...properties, ...(isPlainObject(out['properties']) ? out['properties'] : {}) };
    if (Array.isArray(required)) out['required'] = [...new Set([...(Array.isArray(out['required']) ? out['required'] : []), ...required])];
    for (const [k, v] of Object.entries(others)) if (!(k in out)) out[k] = v;
  }
  return out;
}

const isObjectSchema = (s: JsonObject): boolean => s['type'] === 'object' || (s['type'] === undefined && isPlainObject(s['properties']));

/** oneOf/anyOf: object branches become one object that accepts each of them; other branches stay an anyOf. */
function unionOf(s: JsonObject, union: unknown[], w: Walk): JsonObject {
  const { oneOf: _o, anyOf: _a, ...siblings } = s;
  const branches = union.map((b) => convert(b, w));
  const objects = branches.filter(isObjectSchema);
  const others = branches.filter((b) => !isObjectSchema(b));
  const meta: JsonObject = {};
  const rules: JsonObject = {};
  for (const [k, v] of Object.entries(siblings)) (META.has(k) ? meta : rules)[k] = v;
  if (objects.length && !others.length) return mergeObjects(objects, siblings);
  const merged = objects.length ? [mergeObjects(objects, { type: 'object' })] : [];
  const { type: _t, ...otherRules } = rules; // a sibling `type` (added for object roots) does not hold for other branches
  return { ...meta, anyOf: [...merged, ...others.map((b) => ({ ...otherRules, ...b }))] };
}

function mergeObjects(branches: JsonObject[], parent: JsonObject): JsonObject {
  const names = new Set<string>();
  for (const b of branches) for (const k of Object.keys(propsOf(b))) names.add(k);
  const properties: JsonObject = {};
  for (const name of names) {
    const seen = new Map<string, JsonObject>();
    let any = false;
    for (const b of branches) {
      const p = propsOf(b)[name];
      const open = b['additionalProperties'];
      const own = p !== undefined ? p : open === false ? undefined : isPlainObject(open) ? open : null;
      if (own === null) any = true; // a branch that allows any extra field allows any value here
      else if (isPlainObject(own)) seen.set(stableStringify(own), own);
    }
    properties[name] = any ? describeOnly([...seen.values()]) : joinSchemas([...seen.values()]);
  }
  const required = branches.map((b) => new Set(Array.isArray(b['required']) ? (b['required'] as string[]) : [])).reduce((acc, r) => new Set([...acc].filter((x) => r.has(x))));
  const parentProps = propsOf(parent);
  const out: JsonObject = { ...parent, type: 'object', properties: { ...properties, ...parentProps } };
  const req = [...new Set([...(Array.isArray(parent['required']) ? (parent['required'] as string[]) : []), ...required])];
  if (req.length) out['required'] = req;
  else delete out['required'];
  const closed = branches.every((b) => b['additionalProperties'] === false) && (parent['additionalProperties'] === undefined || parent['additionalProperties'] === false);
  if (closed) out['additionalProperties'] = false;
  else delete out['additionalProperties'];
  const shapes = branches.map(shapeOf).join(' | ');
  const lead = typeof parent['description'] === 'string' ? `${parent['description']} ` : '';
  out['description'] = `${lead}One of these shapes: ${shapes.length > 600 ? `${shapes.slice(0, 599)}…` : shapes}.`;
  return out;
}

const propsOf = (s: JsonObject): JsonObject => (isPlainObject(s['properties']) ? s['properties'] : {});

/** Several schemas for one field: one enum when they are all fixed values, else an anyOf. */
function joinSchemas(list: JsonObject[]): JsonObject {
  if (list.length === 1) return list[0]!;
  const valuesOnly = list.every((s) => Array.isArray(s['enum']) && Object.keys(s).every((k) => k === 'enum' || k === 'type' || META.has(k)));
  if (valuesOnly) {
    const values = [...new Set(list.flatMap((s) => s['enum'] as unknown[]))];
    const types = new Set(list.map((s) => s['type']));
    const description = list.map((s) => s['description']).find((d) => typeof d === 'string');
    return { ...(types.size === 1 && !types.has(undefined) ? { type: list[0]!['type'] } : {}), enum: values, ...(description ? { description } : {}) };
  }
  return { anyOf: list };
}

function describeOnly(list: JsonObject[]): JsonObject {
  const description = list.map((s) => s['description']).find((d) => typeof d === 'string');
  return description ? { description } : {};
}

/** `{channel: "sms", phone, text, note?}`: a branch as the model reads it in the description. */
function shapeOf(b: JsonObject): string {
  const required = new Set(Array.isArray(b['required']) ? (b['required'] as string[]) : []);
  const parts = Object.entries(propsOf(b)).map(([k, v]) => {
    const fixed = isPlainObject(v) && Array.isArray(v['enum']) && v['enum'].length === 1 ? `: ${JSON.stringify(v['enum'][0])}` : '';
    return `${k}${required.has(k) ? '' : '?'}${fixed}`;
  });
  return `{${parts.join(', ')}}`;
}

/** Rules converters drop, repeated in the description ("format: date-time; default: 30"). */
function noted(s: JsonObject): JsonObject {
  const notes = NOTED.filter((k) => s[k] !== undefined).map((k) => `${k}: ${k === 'format' || k === 'pattern' ? String(s[k]) : JSON.stringify(s[k])}`);
  if (!notes.length) return s;
  const d = typeof s['description'] === 'string' ? s['description'] : '';
  const note = `(${notes.join('; ')})`;
  return d.includes(note) ? s : { ...s, description: d ? `${d} ${note}` : note };
}

/**
 * A top-level field that takes any object (no declared fields) cannot be described to strict
 * converters; in the portable form it takes the object as JSON text, which `decodeJsonArgs` reads.
 */
function jsonTextForOpenObjects(s: JsonObject): JsonObject {
  if (!isPlainObject(s['properties'])) return s;
  const props: JsonObject = {};
  for (const [k, v] of Object.entries(s['properties'])) props[k] = isPlainObject(v) && isOpenObject(v) ? jsonText(v) : v;
  return { ...s, properties: props };
}

function isOpenObject(s: JsonObject): boolean {
  const declared = isPlainObject(s['properties']) && Object.keys(s['properties']).length > 0;
  return s['type'] === 'object' && s['additionalProperties'] !== false && (!declared || 'additionalProperties' in s);
}

function jsonText(s: JsonObject): JsonObject {
  const d = typeof s['description'] === 'string' ? `${s['description']} ` : '';
  return { type: 'string', description: `${d}A JSON object written as text, e.g. {"key": "value"}.` };
}

/**
 * Top-level arguments as converters send them, read before validating against the full schema,
 * whatever form the client saw: a string where the schema takes an object is parsed (the JSON-text
 * fields above), and `null` for an optional field that does not take null means "not given"
 * (strict converters make every field required and nullable). Anything else is left for
 * validation to report.
 */
export function decodeJsonArgs(schema: JsonObject, args: JsonObject): JsonObject {
  const props = isPlainObject(schema['properties']) ? schema['properties'] : undefined;
  if (!props) return args;
  const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as unknown[]) : []);
  let out: JsonObject | undefined;
  for (const [k, v] of Object.entries(args)) {
    const p = props[k];
    if (v === null && isPlainObject(p) && !required.has(k) && refusesNull(p)) {
      delete (out ??= { ...args })[k];
      continue;
    }
    if (typeof v !== 'string' || !isPlainObject(p) || p['type'] !== 'object' || !v.trimStart().startsWith('{')) continue;
    try {
      const parsed = JSON.parse(v) as unknown;
      if (isPlainObject(parsed)) (out ??= { ...args })[k] = parsed;
    } catch {
      // not JSON: validation says the field wants an object
    }
  }
  return out ?? args;
}

function refusesNull(p: JsonObject): boolean {
  const type = p['type'];
  if (typeof type === 'string') return type !== 'null';
  if (Array.isArray(type)) return !type.includes('null');
  return Array.isArray(p['enum']) && !p['enum'].includes(null);
}
