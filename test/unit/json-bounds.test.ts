import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clip, cutUtf8, jsonBytes, jsonCopy, jsonHead, jsonStringBytes, measureJson, stableStringify, truncatedJson, tryStringify } from '../../src/core/json.js';

function nested(levels: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

describe('JSON bounds', () => {
  it('measures depth and size without recursion, stopping at the first limit', () => {
    assert.deepEqual(measureJson({ a: [1, 'xy'] }), { depth: 2, bytes: 2 + 5 + (2 + 2) + 8 + 4, over: null });
    assert.equal(measureJson(nested(200_000), { maxDepth: 64 }).over, 'depth');
    assert.equal(measureJson({ big: 'x'.repeat(5000) }, { maxBytes: 1000 }).over, 'size');
  });

  it('stableStringify and truncatedJson never throw on data nested 100,000 levels deep', () => {
    const deep = nested(100_000);
    assert.equal(tryStringify(deep), null);
    assert.match(stableStringify(deep), /"\[nested too deep\]"/);
    assert.equal(stableStringify({ b: 1, a: [2] }), '{"a":[2],"b":1}');
    // Its start is shown, cut as it is written, with its size and where the rest is.
    assert.match(truncatedJson(deep, 100, 'workflows://runs/x/y'), /^\{"a":\{"a":[^]*truncated: 600006 bytes of JSON in all; the full output is in workflows:\/\/runs\/x\/y/);
    assert.match(truncatedJson(deep, 10_000_000, 'workflows://runs/x/y'), /too deep.*workflows:\/\/runs\/x\/y/);
  });

  it('cuts text by bytes without splitting a character, and strings by length', () => {
    assert.equal(cutUtf8('ééé', 3), 'é');
    assert.equal(clip('abcdef', 4), 'abc…');
    assert.equal(clip('abc', 4), 'abc');
  });

  const samples: unknown[] = [
    null, true, 0, -1.5e300, NaN, 'plain', '', 'quote " back \\ nl \n tab \t ctl \u0001 del \u007f', 'é ü 中文 😀', '\ud800 lone \udc00 halves',
    [], {}, [1, [2, [3, []]], { a: undefined, b: () => 1 }, undefined], { z: 1, a: { 'k"ey': ['x', null, { deep: [true] }] }, u: undefined, d: new Date(0) },
    { big: 'x'.repeat(10_000), list: Array.from({ length: 300 }, (_, i) => ({ i, s: `item ${i} ✓` })) },
  ];

  it('jsonBytes counts exactly what JSON.stringify writes, without writing it', () => {
    for (const v of samples) assert.equal(jsonBytes(v), Buffer.byteLength(JSON.stringify(v) ?? 'null', 'utf8'), JSON.stringify(v)?.slice(0, 60));
    for (const s of samples.filter((x): x is string => typeof x === 'string')) assert.equal(jsonStringBytes(s), Buffer.byteLength(JSON.stringify(s), 'utf8'));
  });

  it('jsonHead is the start of JSON.stringify cut at any byte count, and says when it is whole', () => {
    for (const v of samples) {
      const full = JSON.stringify(v) ?? 'null';
      const size = Buffer.byteLength(full, 'utf8');
      for (const max of [0, 1, 2, 5, 17, 100, 1000, 5000, size - 1, size, size + 10]) {
        if (max < 0) continue;
        const head = jsonHead(v, max);
        assert.equal(head.complete, size <= max, `complete at ${max} of ${size}`);
        assert.equal(head.text, cutUtf8(full, max), `head at ${max} of ${full.slice(0, 40)}`);
      }
    }
  });

  it('jsonCopy gives what JSON.parse(JSON.stringify(v)) gives, shares strings, and refuses cycles and BigInt as JSON does', () => {
    for (const v of samples) assert.deepEqual(jsonCopy(v), JSON.parse(JSON.stringify(v) ?? 'null'));
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    assert.throws(() => jsonCopy(cyclic), TypeError);
    assert.throws(() => jsonCopy({ n: 1n }), TypeError);
    const shared = { x: 1 };
    assert.deepEqual(jsonCopy([shared, shared]), [{ x: 1 }, { x: 1 }], 'a value seen twice is not a cycle');
    assert.doesNotThrow(() => jsonCopy(nested(100_000)), 'any depth, no recursion');
  });
});
