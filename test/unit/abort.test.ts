import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { whenAborted } from '../../src/core/abort.js';

describe('whenAborted', () => {
  it('puts one listener on a long-lived signal however many wait on it; each runs once, an unregistered one not at all', () => {
    const stopping = new AbortController();
    let called = 0;
    const offs = Array.from({ length: 5000 }, () => whenAborted(stopping.signal, () => void called++));
    assert.equal(getEventListeners(stopping.signal, 'abort').length, 1);
    for (const off of offs.slice(0, 1000)) off();
    stopping.abort();
    stopping.abort();
    assert.equal(called, 4000);
    let late = 0;
    whenAborted(stopping.signal, () => void late++);
    assert.equal(late, 0, 'as with addEventListener, an aborted signal calls nothing later');
  });
});
