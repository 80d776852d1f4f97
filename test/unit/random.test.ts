import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idTime, randomHex } from '../../src/core/random.js';
import { newLocalRunId } from '../../src/providers/local/provider.js';

describe('randomHex', () => {
  it('hands out hex of the asked length, never the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) seen.add(randomHex(5)); // 15,000 bytes: three refills of the 4 KB pool
    assert.equal(seen.size, 3000);
    for (const h of seen) assert.match(h, /^[0-9a-f]{10}$/);
    assert.match(randomHex(5000), /^[0-9a-f]{10000}$/, 'more than a pool at once');
  });
});

describe('run ids made in one millisecond', () => {
  it('sort in the order they were made: the time part never repeats or goes back', () => {
    const now = Date.now();
    const ids = Array.from({ length: 50 }, () => newLocalRunId(now)); // one clock reading for all
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, 50);
    assert.ok(idTime(now - 1000) > now, 'a clock that went back: still after the last');
  });
});
