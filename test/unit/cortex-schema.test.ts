import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareSchema } from '../../src/mcp/schema.js';
import { cortexInputSchema } from '../../src/providers/cortex/schema.js';

/** A small seeded PRNG, so property tests are random but repeatable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const TYPES = ['string', 'url', 'number', 'boolean', 'date', 'datetime', 'time', 'select', 'select+', 'file', 'connection', 'object', 'content'] as const;

/** A random field map, with a value for it that must pass and one that must fail. */
function generate(r: () => number, depth = 0): { input: Record<string, unknown>; good: Record<string, unknown>; bad: Record<string, unknown> } {
  const input: Record<string, unknown> = {};
  const good: Record<string, unknown> = {};
  const bad: Record<string, unknown> = {};
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const key = `f${i}`;
    const t = TYPES[Math.floor(r() * (depth > 2 ? TYPES.length - 2 : TYPES.length))]!;
    const array = t !== 'content' && r() < 0.2;
    let def: Record<string, unknown>;
    let value: unknown;
    let wrong: unknown = 12345;
    switch (t) {
      case 'url': def = { type: 'string', validation: 'url' }; value = 'https://example.com/x'; break;
      case 'number': def = { type: 'number' }; value = r() * 10; wrong = 'ten'; break;
      case 'boolean': def = { type: 'boolean' }; value = r() < 0.5; wrong = 'yes'; break;
      case 'date': def = { type: 'date' }; value = '2026-11-23'; break;
      case 'datetime': def = { type: 'datetime' }; value = '2026-11-23T10:00:00Z'; break;
      case 'time': def = { type: 'time' }; value = '10:00:00Z'; break;
      case 'select': def = { type: 'select', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] }; value = 'b'; wrong = 'c'; break;
      case 'select+': def = { type: 'select', options: [{ label: 'A', value: 'a' }], additional_options: true }; value = 'free text'; wrong = 7; break;
      case 'object': {
        const inner = generate(r, depth + 1);
        def = { type: 'object', fields: inner.input };
        value = inner.good;
        wrong = 'not an object';
        break;
      }
      case 'content': def = { type: 'content', content: '# heading' }; value = undefined; break;
      default: def = { type: t }; value = 'text';
    }
    if (r() < 0.3) def['name'] = `Label ${i}`;
    if (r() < 0.3) def['desc'] = `About ${key}`;
    input[key] = { ...def, ...(array ? { array: true } : {}) };
    if (value !== undefined) {
      good[key] = array ? [value] : value;
      if (Object.keys(bad).length === 0) bad[key] = array ? [wrong] : wrong;
    }
  }
  return { input, good, bad };
}

describe('cortex input definitions → JSON Schema', () => {
  it('maps each field type, folds defaults in, skips content, and requires what has no default', () => {
    const { schema, problems } = cortexInputSchema(
      {
        topic: { type: 'string', name: 'Topic', desc: 'What to write about' },
        site: { type: 'string', validation: 'url', optional: true },
        tone: { type: 'select', options: [{ label: 'Formal', value: 'formal' }, { label: 'Casual', value: 'casual' }] },
        words: { type: 'number', config: true },
        when: { type: 'datetime' },
        intro: { type: 'content', content: 'Hello' },
        tags: { type: 'string', array: true, optional: true },
        address: { type: 'object', fields: { city: { type: 'string' } }, additional_fields: true },
      },
      { words: 300, tone: 'formal' },
    );
    assert.deepEqual(problems, []);
    const p = schema['properties'] as Record<string, Record<string, unknown>>;
    assert.deepEqual(p['topic'], { title: 'Topic', description: 'What to write about', type: 'string' });
    assert.deepEqual(p['site'], { type: 'string', format: 'uri' });
    assert.deepEqual(p['tone'], { enum: ['formal', 'casual'], default: 'formal' });
    assert.deepEqual(p['words'], { type: 'number', default: 300 });
    assert.equal(p['when']!['format'], 'date-time');
    assert.equal(p['intro'], undefined);
    assert.deepEqual(p['tags'], { type: 'array', items: { type: 'string' } });
    assert.equal(p['address']!['additionalProperties'], true);
    assert.deepEqual(schema['required'], ['topic', 'when', 'address']);
    const v = prepareSchema(schema).validate({ topic: 'x', when: '2026-11-23T10:00:00Z', address: { city: 'Utrecht', extra: 1 } });
    assert.deepEqual(v, { ok: true, value: { topic: 'x', when: '2026-11-23T10:00:00Z', address: { city: 'Utrecht', extra: 1 }, tone: 'formal', words: 300 } });
  });

  it('property: every generated schema compiles, accepts a valid input, and rejects a wrong type', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const { input, good, bad } = generate(r);
      const { schema, problems } = cortexInputSchema(input, {});
      assert.deepEqual(problems, [], `seed ${seed}`);
      const prepared = prepareSchema(schema);
      assert.equal(prepared.problem(), null, `seed ${seed}: does not compile`);
      assert.equal(prepared.validate(good).ok, true, `seed ${seed}: rejects ${JSON.stringify(good)} for ${JSON.stringify(input)}`);
      if (Object.keys(bad).length) assert.equal(prepared.validate({ ...good, ...bad }).ok, false, `seed ${seed}: accepts ${JSON.stringify(bad)}`);
    }
  });

  it('hostile definitions give a usable fallback and a reason, never a crash', () => {
    let deep: Record<string, unknown> = { leaf: { type: 'string' } };
    for (let i = 0; i < 50; i++) deep = { nested: { type: 'object', fields: deep } };
    const a = cortexInputSchema(deep, {});
    assert.match(a.problems[0]!, /nested deeper than/);
    assert.equal(prepareSchema(a.schema).problem(), null);
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, { type: 'string', optional: true }]));
    const b = cortexInputSchema(wide, {});
    assert.equal(Object.keys(b.schema['properties'] as object).length, 1000);
    assert.equal(b.schema['additionalProperties'], true);
    assert.match(b.problems[0]!, /more than 1000 fields/);
    const c = cortexInputSchema({ x: { type: 'hologram' }, y: 'nope', z: { type: 'select', options: [] } }, null);
    assert.equal(c.problems.length, 3);
    assert.equal(prepareSchema(c.schema).validate({ x: 1, y: [], z: 'anything' }).ok, true);
    assert.match(cortexInputSchema('junk', {}).problems[0]!, /not an object/);
  });
});
