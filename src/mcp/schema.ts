import type { ErrorObject, ValidateFunction } from 'ajv';
import ajv7 from 'ajv';
import ajv2019 from 'ajv/dist/2019.js';
import ajv2020 from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { isPlainObject, JSON_DEPTH_MAX, measureJson, stableStringify, type JsonObject } from '../core/json.js';
import { decodeJsonArgs } from './portable.js';

// ajv ships CommonJS: under NodeNext a default import is its module.exports, whose `default` is the class.
// Imported, not required on first use, so that the bundle shares the SDK's copy of ajv (the SDK
// loads ajv at start-up anyway); the instances are what cost, and they are built on first use.
type AjvClass = typeof ajv7.default;
type Ajv = InstanceType<AjvClass>;
const CLASSES = { 2020: ajv2020.default as unknown as AjvClass, 2019: ajv2019.default as unknown as AjvClass, 7: ajv7.default } as const;

const options = { strict: false, allErrors: true, validateSchema: false, useDefaults: true, coerceTypes: false } as const;
// Built on first use: most processes need one dialect, and each instance costs start-up time.
const dialects: Partial<Record<keyof typeof CLASSES, Ajv>> = {};
/** How many Ajv instances this process has built (tests prove they are built on first use). */
export const ajvInstances = { count: 0 };
function dialect(d: keyof typeof CLASSES): Ajv {
  const made = dialects[d];
  if (made) return made;
  const ajv = new CLASSES[d](options);
  ajvFormats.default(ajv as never);
  ajvInstances.count++;
  return (dialects[d] = ajv);
}

/** The Ajv class follows `$schema`; the spec default (no `$schema`) is 2020-12. */
function ajvFor(schema: JsonObject): Ajv {
  const declared = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  if (/draft-0[4-7]/.test(declared)) return dialect(7);
  if (declared.includes('2019-09')) return dialect(2019);
  return dialect(2020);
}

/** How many validators were compiled in this process (tests prove compilation is lazy and once per schema). */
export const schemaCompilations = { count: 0 };

export interface PreparedSchema {
  /** What tools/list advertises: always a root `type: "object"`. */
  schema: JsonObject;
  /** A stable text of the schema as the platform gave it: equal keys, equal advertised schemas (a cheap fingerprint). */
  key: string;
  /** The platform schema was not an object; arguments arrive as `{ input: … }` and are unwrapped. */
  wrapped: boolean;
  /**
   * Why the platform schema was replaced by a permissive one: known at once for a schema too deep
   * or too big; for one Ajv cannot compile, only from its first use (`problem()` or `validate`).
   */
  fallback: string | null;
  /** Compiles the validator if it is not yet (once), and says why the schema is not checked, if it is not. */
  problem(): string | null;
  /** Checks arguments; compiles on first use. A schema that does not compile accepts any object. */
  validate: (args: JsonObject) => { ok: true; value: unknown } | { ok: false; problems: string[] };
}

const PERMISSIVE: JsonObject = { type: 'object', additionalProperties: true };
const cache = new Map<string, PreparedSchema>();
/** By the platform's own schema object: a catalog rebuild re-prepares every tool, and measuring and keying each schema again cost more than the rest of the rebuild. */
const byObject = new WeakMap<object, PreparedSchema>();

/**
 * Makes a platform schema safe to list: one tool whose root is not an object makes SDK clients
 * reject the whole list. Keeps `$schema`, `$defs` and `additionalProperties`. The validator is
 * compiled on first use, once per distinct schema: a catalog of many distinct schemas lists
 * without compiling any (compiling was half of start-up).
 */
export function prepareSchema(raw: unknown): PreparedSchema {
  const known = typeof raw === 'object' && raw !== null ? byObject.get(raw) : undefined;
  if (known) return known;
  const prepared = prepareUncached(raw);
  if (typeof raw === 'object' && raw !== null) byObject.set(raw, prepared);
  return prepared;
}

function prepareUncached(raw: unknown): PreparedSchema {
  // Deep or huge schemas are cut off where catalogs enter (bounds.ts); this guards every other caller.
  const size = measureJson(raw, { maxDepth: JSON_DEPTH_MAX, maxBytes: 1024 * 1024 });
  if (size.over) return permissive(size.over === 'depth' ? `the schema nests deeper than ${JSON_DEPTH_MAX} levels` : 'the schema is over 1 MB');
  const cacheKey = stableStringify(raw);
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const { schema, wrapped } = normalise(raw);
  const prepared = lazilyCompiled(cacheKey, schema, wrapped);
  if (cache.size > 5000) cache.clear();
  cache.set(cacheKey, prepared);
  return prepared;
}

function lazilyCompiled(key: string, schema: JsonObject, wrapped: boolean): PreparedSchema {
  let fn: ValidateFunction | undefined;
  const compile = (): ValidateFunction => {
    if (fn) return fn;
    schemaCompilations.count++;
    try {
      fn = ajvFor(schema).compile(schema);
    } catch (err) {
      prepared.fallback = (err as Error).message;
      fn = permissiveFn();
    }
    return fn;
  };
  const prepared: PreparedSchema = {
    schema,
    key,
    wrapped,
    fallback: null,
    problem: () => (compile(), prepared.fallback),
    validate: (args) => run(compile(), decodeJsonArgs(schema, args), wrapped),
  };
  return prepared;
}

let permissiveCompiled: ValidateFunction | undefined;
const permissiveFn = (): ValidateFunction => (permissiveCompiled ??= dialect(2020).compile(PERMISSIVE));

function permissive(why: string): PreparedSchema {
  return { schema: { ...PERMISSIVE }, key: `permissive: ${why}`, wrapped: false, fallback: why, problem: () => why, validate: (args) => run(permissiveFn(), args, false) };
}

function normalise(raw: unknown): { schema: JsonObject; wrapped: boolean } {
  if (!isPlainObject(raw)) return { schema: { ...PERMISSIVE }, wrapped: false };
  const schema = fixProperties(raw);
  const type = schema['type'];
  if (type === 'object') return { schema, wrapped: false };
  if (type === undefined && (isPlainObject(schema['properties']) || schema['required'] !== undefined)) return { schema: { ...schema, type: 'object' }, wrapped: false };
  const union = (schema['anyOf'] ?? schema['oneOf']) as unknown;
  if (type === undefined && Array.isArray(union) && union.length > 0 && union.every((s) => isPlainObject(s) && (s['type'] === 'object' || isPlainObject(s['properties'])))) {
    return { schema: { ...schema, type: 'object' }, wrapped: false };
  }
  if (type === undefined && Object.keys(schema).every((k) => k.startsWith('$') || k === 'title' || k === 'description')) {
    return { schema: { ...schema, ...PERMISSIVE }, wrapped: false };
  }
  const { $schema, $defs, definitions, ...inner } = schema;
  const outer: JsonObject = { type: 'object', properties: { input: inner }, required: ['input'], additionalProperties: false };
  if ($schema !== undefined) outer['$schema'] = $schema;
  if ($defs !== undefined) outer['$defs'] = $defs;
  if (definitions !== undefined) outer['definitions'] = definitions;
  return { schema: outer, wrapped: true };
}

/** `true`/`false` property schemas are legal JSON Schema but rejected by SDK clients. */
function fixProperties(schema: JsonObject): JsonObject {
  const props = schema['properties'];
  if (!isPlainObject(props)) return { ...schema };
  const fixed: JsonObject = {};
  for (const [k, v] of Object.entries(props)) fixed[k] = v === true ? {} : v === false ? { not: {} } : v;
  return { ...schema, properties: fixed };
}

function run(fn: ValidateFunction, args: JsonObject, wrapped: boolean): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  const size = measureJson(args, { maxDepth: JSON_DEPTH_MAX });
  if (size.over) return { ok: false, problems: [`(arguments): nested deeper than ${JSON_DEPTH_MAX} levels; send a flatter value`] };
  const copy = structuredClone(args); // useDefaults fills defaults in; never touch the caller's object
  if (fn(copy)) return { ok: true, value: wrapped ? copy['input'] : copy };
  return { ok: false, problems: describeErrors(fn.errors ?? []) };
}

/** Ajv errors as `field: what was expected`, one per field and kind. */
export function describeErrors(all: ErrorObject[]): string[] {
  const errors = focusUnions(all);
  const out = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if' || (e.keyword === 'anyOf' && errors.length > 1)) continue;
    const at = pointerToPath(e.instancePath);
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'required') out.add(`${join(at, String(p['missingProperty']))}: is required`);
    else if (e.keyword === 'additionalProperties') out.add(`${join(at, String(p['additionalProperty']))}: is not an accepted field`);
    else if (e.keyword === 'enum') out.add(`${at || '(arguments)'}: must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
    else if (e.keyword === 'const') out.add(`${at || '(arguments)'}: must be ${JSON.stringify(p['allowedValue'])}`);
    else out.add(`${at || '(arguments)'}: ${e.message ?? 'is invalid'}`);
  }
  return [...out];
}

/**
 * A failed oneOf/anyOf reports every branch's errors ("channel: must be \"email\"", "to: is
 * required", …). When a discriminator (a const or enum field of the value) rules out all branches
 * but one, only that branch's errors are the agent's business.
 */
function focusUnions(errors: ErrorObject[]): ErrorObject[] {
  let out = errors;
  for (const u of errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')) {
    const prefix = `${u.schemaPath}/`;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of out) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0]!;
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    const ruledOut = (list: ErrorObject[]): boolean =>
      list.some((e) => (e.keyword === 'const' || e.keyword === 'enum') && e.instancePath.startsWith(`${u.instancePath}/`) && !e.instancePath.slice(u.instancePath.length + 1).includes('/'));
    const left = [...byBranch.entries()].filter(([, list]) => !ruledOut(list));
    if (byBranch.size >= 2 && left.length === 0) {
      // No branch has this discriminator value: name the values it may take.
      const fixed = [...byBranch.values()].map((list) => list.find((e) => e.keyword === 'const' && e.instancePath.startsWith(`${u.instancePath}/`)));
      const at = fixed[0]?.instancePath;
      if (at === undefined || !fixed.every((e) => e?.instancePath === at)) continue;
      const allowedValues = fixed.map((e) => (e!.params as { allowedValue: unknown }).allowedValue);
      out = [...out.filter((e) => e !== u && !e.schemaPath.startsWith(prefix)), { ...fixed[0]!, keyword: 'enum', params: { allowedValues } }];
      continue;
    }
    if (byBranch.size < 2 || left.length !== 1) continue;
    const keep = new Set(left[0]![1]);
    out = out.filter((e) => e !== u && (!e.schemaPath.startsWith(prefix) || keep.has(e)));
  }
  return out;
}

function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function join(at: string, field: string): string {
  return at ? `${at}.${field}` : field;
}
