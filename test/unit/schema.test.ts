import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareSchema } from '../../src/mcp/schema.js';

describe('schema hygiene', () => {
  it('keeps object schemas, with $schema and $defs intact', () => {
    const raw = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { a: { $ref: '#/$defs/n' } }, $defs: { n: { type: 'number' } }, additionalProperties: false };
    const p = prepareSchema(raw);
    assert.deepEqual(p.schema, raw);
    assert.equal(p.wrapped, false);
    assert.deepEqual(p.validate({ a: 1 }), { ok: true, value: { a: 1 } });
    assert.equal(p.validate({ a: 'x' }).ok, false);
  });

  it('wraps non-object roots as { input } and unwraps on validation', () => {
    const p = prepareSchema({ type: 'array', items: { type: 'string' } });
    assert.equal(p.schema['type'], 'object');
    assert.deepEqual(p.schema['required'], ['input']);
    assert.equal(p.wrapped, true);
    assert.deepEqual(p.validate({ input: ['a'] }), { ok: true, value: ['a'] });
    const bad = p.validate({ input: [1] });
    assert.equal(bad.ok, false);
    assert.match((bad as { problems: string[] }).problems[0]!, /^input\[0\]: must be string/);
  });

  it('adds a missing root type, accepts object unions, and replaces boolean property schemas', () => {
    assert.equal(prepareSchema({ properties: { a: { type: 'string' } } }).schema['type'], 'object');
    const union = prepareSchema({ anyOf: [{ type: 'object', properties: { a: {} } }, { type: 'object', properties: { b: {} } }] });
    assert.equal(union.schema['type'], 'object');
    assert.equal(union.wrapped, false);
    const bools = prepareSchema({ type: 'object', properties: { any: true, never: false } });
    assert.deepEqual(bools.schema['properties'], { any: {}, never: { not: {} } });
    assert.equal(bools.validate({ never: 1 }).ok, false);
  });

  it('falls back to accepting any object, with the reason, when the schema does not compile (found on first use)', () => {
    const p = prepareSchema({ type: 'object', properties: { a: { $ref: '#/$defs/missing-ref' } } });
    assert.equal(p.fallback, null, 'not compiled yet');
    assert.match(p.problem()!, /missing-ref/);
    assert.match(p.fallback!, /missing-ref/);
    assert.equal(p.validate({ anything: 1 }).ok, true);
    const q = prepareSchema({ type: 'object', properties: { a: { $ref: '#/$defs/other-missing' } } });
    assert.equal(q.validate({ a: 1 }).ok, true);
    assert.match(q.fallback!, /other-missing/);
    const deep = prepareSchema(Array.from({ length: 100 }).reduce<unknown>((inner) => ({ type: 'object', properties: { x: inner } }), { type: 'string' }));
    assert.match(deep.fallback!, /deeper/, 'a schema too deep is known at once');
    assert.deepEqual(deep.schema, { type: 'object', additionalProperties: true });
    assert.equal(prepareSchema('not a schema').schema['type'], 'object');
  });

  it('names every failing field with what was expected, and fills defaults without touching the input', () => {
    const p = prepareSchema({
      type: 'object',
      properties: { n: { type: 'integer', minimum: 1 }, c: { enum: ['EUR', 'USD'] }, d: { type: 'string', default: 'x' }, e: { type: 'string', format: 'email' } },
      required: ['n'],
      additionalProperties: false,
    });
    const args = { c: 'GBP', extra: 1, e: 'nope' };
    const r = p.validate(args);
    assert.equal(r.ok, false);
    const problems = (r as { problems: string[] }).problems;
    assert.ok(problems.includes('n: is required'));
    assert.ok(problems.includes('c: must be one of "EUR", "USD"'));
    assert.ok(problems.includes('extra: is not an accepted field'));
    assert.ok(problems.some((x) => x.startsWith('e: must match format "email"')));
    const ok = p.validate({ n: 2 });
    assert.deepEqual(ok, { ok: true, value: { n: 2, d: 'x' } });
    assert.deepEqual(args, { c: 'GBP', extra: 1, e: 'nope' });
  });

  it('chooses the dialect from $schema (draft-07 tuples vs 2020-12 prefixItems)', () => {
    const d7 = prepareSchema({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { t: { type: 'array', items: [{ type: 'string' }], additionalItems: false } } });
    assert.equal(d7.validate({ t: ['a'] }).ok, true);
    assert.equal(d7.validate({ t: ['a', 'b'] }).ok, false);
    const d2020 = prepareSchema({ type: 'object', properties: { t: { type: 'array', prefixItems: [{ type: 'string' }], items: false } } });
    assert.equal(d2020.validate({ t: ['a'] }).ok, true);
    assert.equal(d2020.validate({ t: ['a', 'b'] }).ok, false);
  });

  it('names only the errors of the branch a discriminator picks in a oneOf, or the values it may take', () => {
    const branch = (kind: string, field: string): Record<string, unknown> => ({ type: 'object', properties: { kind: { const: kind }, [field]: { type: 'string', minLength: 2 } }, required: ['kind', field], additionalProperties: false });
    const p = prepareSchema({ type: 'object', properties: { place: { oneOf: [branch('room', 'room'), branch('online', 'url')] } }, required: ['place'] });
    assert.deepEqual(p.validate({ place: { kind: 'room' } }), { ok: false, problems: ['place.room: is required'] });
    assert.deepEqual(p.validate({ place: { kind: 'online', url: 'x' } }), { ok: false, problems: ['place.url: must NOT have fewer than 2 characters'] });
    assert.deepEqual(p.validate({ place: { kind: 'boat' } }), { ok: false, problems: ['place.kind: must be one of "room", "online"'] });
    assert.equal(p.validate({ place: { kind: 'room', room: '4.12' } }).ok, true);
  });
});
