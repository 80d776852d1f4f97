import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import * as z3 from 'zod/v3';
import { schemaKind, toJsonSchema } from '../../src/providers/local/schema.js';

describe('local workflow input schemas', () => {
  it('converts zod v4 schemas with z.toJSONSchema', () => {
    const { schema, parser } = toJsonSchema(z.object({ name: z.string().describe('Who'), n: z.number().default(2) }));
    assert.equal(schemaKind(z.string()), 'zod4');
    assert.equal(schema['type'], 'object');
    assert.deepEqual(Object.keys(schema['properties'] as object), ['name', 'n']);
    assert.deepEqual(schema['required'], ['name']);
    assert.ok(parser);
  });

  it('converts zod v3 schemas with zod-to-json-schema (never an empty schema)', () => {
    const { schema } = toJsonSchema(z3.z.object({ name: z3.z.string(), tags: z3.z.array(z3.z.string()).optional() }));
    assert.equal(schemaKind(z3.z.string()), 'zod3');
    assert.equal(schema['type'], 'object');
    assert.deepEqual(schema['required'], ['name']);
    assert.ok((schema['properties'] as Record<string, unknown>)['tags']);
  });

  it('passes JSON Schema through, and treats no schema as an open object', () => {
    const js = { type: 'object', properties: { a: { type: 'string' } } };
    assert.equal(toJsonSchema(js).schema, js);
    assert.deepEqual(toJsonSchema(undefined).schema, { type: 'object', additionalProperties: true });
    assert.throws(() => toJsonSchema('nope'), /zod schema or a JSON Schema/);
  });
});
