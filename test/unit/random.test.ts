import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomHex } from '../../src/core/random.js';

describe('randomHex', () => {
  it('hands out hex of the asked length, never the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) seen.add(randomHex(5)); // 15,000 bytes: three refills of the 4 KB pool
    assert.equal(seen.size, 3000);
    for (const h of seen) assert.match(h, /^[0-9a-f]{10}$/);
    assert.match(randomHex(5000), /^[0-9a-f]{10000}$/, 'more than a pool at once');
  });
});
