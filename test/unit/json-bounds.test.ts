import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clip, cutUtf8, measureJson, stableStringify, truncatedJson, tryStringify } from '../../src/core/json.js';

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
    assert.match(truncatedJson(deep, 100, 'workflows://runs/x/y'), /too deep.*workflows:\/\/runs\/x\/y/);
  });

  it('cuts text by bytes without splitting a character, and strings by length', () => {
    assert.equal(cutUtf8('ééé', 3), 'é');
    assert.equal(clip('abcdef', 4), 'abc…');
    assert.equal(clip('abc', 4), 'abc');
  });
});
