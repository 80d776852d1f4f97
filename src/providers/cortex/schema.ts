import { isPlainObject, type JsonObject } from '../../core/json.js';
import type { JSONSchema } from '../types.js';

const MAX_DEPTH = 8;
const MAX_FIELDS = 1000;
const FORMATS: Record<string, string> = { date: 'date', datetime: 'date-time', time: 'time' };
/** A file argument in every documented form: text (path, data: URL, https URL, base64) or `{ base64, filename }`. */
const FILE: JSONSchema = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', properties: { base64: { type: 'string' }, filename: { type: 'string', minLength: 1 } }, required: ['base64', 'filename'], additionalProperties: false },
  ],
  description: 'A file: a local path (inside the folders files may come from), a data: URL, an https URL, its content as base64, or { "base64": …, "filename": … }.',
};

interface Ctx {
  budget: number;
  problems: string[];
}

/**
 * A Cortex version's `input` (a field map, not JSON Schema; providers.md §2) as a tool's JSON
 * Schema. Defaults come from the field and from `input_default`; a field with a default, or
 * marked `optional`, is not required. Hostile definitions (very deep, very wide, unknown types)
 * become permissive parts plus a problem line — never an exception.
 */
export function cortexInputSchema(input: unknown, inputDefault: unknown): { schema: JSONSchema; problems: string[] } {
  const ctx: Ctx = { budget: MAX_FIELDS, problems: [] };
  if (input === null || input === undefined) return { schema: { type: 'object', additionalProperties: true }, problems: [] };
  if (!isPlainObject(input)) return { schema: { type: 'object', additionalProperties: true }, problems: ['the input definition is not an object; any input is accepted'] };
  const schema = objectOf(input, isPlainObject(inputDefault) ? inputDefault : {}, false, 0, ctx, '');
  if (ctx.budget <= 0) schema['additionalProperties'] = true;
  return { schema, problems: ctx.problems };
}

function objectOf(fields: JsonObject, defaults: JsonObject, open: boolean, depth: number, ctx: Ctx, path: string): JSONSchema {
  const properties: Record<string, JSONSchema> = {};
  const required: string[] = [];
  for (const [key, def] of Object.entries(fields)) {
    if (ctx.budget-- <= 0) {
      if (ctx.budget === -1) ctx.problems.push(`more than ${MAX_FIELDS} fields: the rest are accepted without checks`);
      open = true;
      break;
    }
    const where = path ? `${path}.${key}` : key;
    if (!isPlainObject(def)) {
      ctx.problems.push(`${where}: not a field definition; accepted as anything`);
      properties[key] = {};
      continue;
    }
    if (def['type'] === 'content') continue; // display only
    const fieldDefault = def['default'] !== undefined ? def['default'] : defaults[key];
    let schema = fieldSchema(def, isPlainObject(defaults[key]) ? (defaults[key] as JsonObject) : {}, depth, ctx, where);
    if (def['array'] === true) schema = { type: 'array', items: schema };
    const title = typeof def['name'] === 'string' ? def['name'] : undefined;
    const description = typeof def['desc'] === 'string' ? def['desc'] : undefined;
    properties[key] = { ...(title ? { title } : {}), ...(description ? { description } : {}), ...schema, ...(fieldDefault !== undefined ? { default: fieldDefault } : {}) };
    if (def['optional'] !== true && fieldDefault === undefined) required.push(key);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: open };
}

function fieldSchema(def: JsonObject, nestedDefaults: JsonObject, depth: number, ctx: Ctx, where: string): JSONSchema {
  switch (def['type']) {
    case 'string':
      return def['validation'] === 'url' ? { type: 'string', format: 'uri' } : { type: 'string' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
    case 'datetime':
    case 'time':
      return { type: 'string', format: FORMATS[def['type']]! };
    case 'select': {
      const values = Array.isArray(def['options']) ? def['options'].filter(isPlainObject).map((o) => o['value']).filter((v) => typeof v === 'string' || typeof v === 'number') : [];
      if (!values.length) return (ctx.problems.push(`${where}: a select without options; any text is accepted`), { type: 'string' });
      const choice = { enum: values };
      return def['additional_options'] ? { anyOf: [choice, { type: 'string' }] } : choice;
    }
    case 'file':
      return FILE;
    case 'connection':
      return { type: 'string', description: 'The id of a connection in Cortex.' };
    case 'object': {
      if (depth + 1 >= MAX_DEPTH) return (ctx.problems.push(`${where}: nested deeper than ${MAX_DEPTH}; accepted as any object`), { type: 'object' });
      const open = def['additional_fields'] === true || Array.isArray(def['additional_fields']);
      return isPlainObject(def['fields']) ? objectOf(def['fields'], nestedDefaults, open, depth + 1, ctx, where) : { type: 'object' };
    }
    default:
      ctx.problems.push(`${where}: unknown field type ${JSON.stringify(def['type'])}; accepted as anything`);
      return {};
  }
}
