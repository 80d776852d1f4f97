import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extend, openCopy } from '../../src/core/objects.js';

describe('extend / openCopy', () => {
  it('extend is { ...base, ...extra }: a new object, extra wins, base untouched', () => {
    const base = { a: 1, b: 2 };
    const out = extend(base, { b: 3, c: 4 });
    assert.deepEqual(out, { a: 1, b: 3, c: 4 });
    assert.deepEqual(Object.keys(out), ['a', 'b', 'c'], 'key order as the spread gives it');
    assert.deepEqual(base, { a: 1, b: 2 });
    assert.notEqual(out as object, base);
  });

  it('openCopy is a shallow copy that takes new keys without touching its source', () => {
    const inner = { deep: true };
    const base: Record<string, unknown> = { a: inner };
    const copy = openCopy(base);
    copy['b'] = 2;
    assert.deepEqual(copy, { a: inner, b: 2 });
    assert.equal(copy['a'], inner, 'shallow');
    assert.deepEqual(base, { a: inner });
  });
});
