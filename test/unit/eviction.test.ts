import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickEviction } from '../../src/serve/eviction.js';

const s = (lastSeen: number, busy = 0, streaming = false) => ({ lastSeen, busy, streaming });

describe('session eviction at http.maxSessions', () => {
  it('only sessions idle past the minimum, least recently used first, unlistened before listened-to, never busy ones', () => {
    const now = 1_000_000;
    assert.deepEqual(pickEviction([['a', s(now - 1)], ['b', s(now - 10)]], 60_000, now), { victim: null, retryAfterSeconds: 60 });
    assert.equal(pickEviction([['a', s(now - 70_000)], ['b', s(now - 90_000)], ['c', s(now - 1)]], 60_000, now).victim, 'b');
    assert.equal(pickEviction([['a', s(now - 70_000)], ['b', s(now - 90_000, 0, true)]], 60_000, now).victim, 'a');
    assert.equal(pickEviction([['b', s(now - 90_000, 0, true)]], 60_000, now).victim, 'b');
    assert.deepEqual(pickEviction([['a', s(now - 90_000, 1)]], 60_000, now), { victim: null, retryAfterSeconds: 30 });
  });
});
