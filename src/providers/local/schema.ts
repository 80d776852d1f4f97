import { createRequire } from 'node:module';
import { z } from 'zod';
import { isPlainObject } from '../../core/json.js';
import type { JSONSchema } from '../types.js';

/** A zod schema of either major version, as far as we need it: something that parses. */
export interface ParsingSchema {
  safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues?: Array<{ path: PropertyKey[]; message: string }> } };
}

type ZodToJsonSchema = typeof import('zod-to-json-schema').zodToJsonSchema;
let converter: ZodToJsonSchema | undefined;
/** Loaded on the first zod 3 schema only: it is 40 modules (and zod 3) most start-ups never need. */
function zodToJsonSchema(): ZodToJsonSchema {
  return (converter ??= (createRequire(import.meta.url)('zod-to-json-schema') as { zodToJsonSchema: ZodToJsonSchema }).zodToJsonSchema);
}

export type SchemaKind = 'zod4' | 'zod3' | 'json-schema' | 'none';

export function schemaKind(input: unknown): SchemaKind {
  if (input === undefined || input === null) return 'none';
  if (typeof input === 'object' && '_zod' in input) return 'zod4';
  if (typeof input === 'object' && '_def' in input && typeof (input as { safeParse?: unknown }).safeParse === 'function') return 'zod3';
  if (isPlainObject(input)) return 'json-schema';
  throw new Error(`"input" must be a zod schema or a JSON Schema object, got ${typeof input}`);
}

/**
 * zod v4 goes through `z.toJSONSchema`; zod v3 (the `zod/v3` entry or zod 3.x) through
 * zod-to-json-schema, which silently returns an empty schema for v4 — hence the per-schema
 * detection and the check for an empty result.
 */
export function toJsonSchema(input: unknown): { schema: JSONSchema; parser: ParsingSchema | null } {
  const kind = schemaKind(input);
  if (kind === 'none') return { schema: { type: 'object', additionalProperties: true }, parser: null };
  if (kind === 'json-schema') return { schema: input as JSONSchema, parser: null };
  if (kind === 'zod4') {
    const schema = z.toJSONSchema(input as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JSONSchema;
    return { schema, parser: input as ParsingSchema };
  }
  const schema = zodToJsonSchema()(input as Parameters<ZodToJsonSchema>[0], { $refStrategy: 'none' }) as JSONSchema;
  if (!('type' in schema) && !('properties' in schema) && !('anyOf' in schema) && !('$ref' in schema)) {
    throw new Error('zod-to-json-schema returned an empty schema for this zod v3 schema');
  }
  return { schema, parser: input as ParsingSchema };
}
