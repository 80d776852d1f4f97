import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { LocalAbortController, whenAborted } from '../../src/core/abort.js';

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

describe('LocalAbortController', () => {
  it('aborts once: listeners and onabort run once, with the reason; a later abort changes nothing', () => {
    const c = new LocalAbortController();
    const seen: unknown[] = [];
    c.signal.addEventListener('abort', () => void seen.push(c.signal.reason), { once: true });
    c.signal.onabort = () => void seen.push('onabort');
    assert.equal(c.signal.aborted, false);
    assert.doesNotThrow(() => c.signal.throwIfAborted());
    c.abort('first');
    c.abort('second');
    assert.deepEqual(seen, ['onabort', 'first']);
    assert.equal(c.signal.reason, 'first');
    assert.throws(() => c.signal.throwIfAborted(), (e) => e === 'first');
    const d = new LocalAbortController();
    d.abort();
    assert.equal((d.signal.reason as DOMException).name, 'AbortError', 'the default reason is an AbortError, as with AbortController');
  });

  it('its realSignal() is an AbortSignal that follows it, made before or after the abort', () => {
    const before = new LocalAbortController();
    const real = before.realSignal();
    assert.ok(real instanceof AbortSignal);
    assert.equal(before.realSignal(), real, 'made once');
    assert.equal(AbortSignal.any([real]).aborted, false, 'usable where a real signal is required');
    before.abort({ kind: 'cancel' });
    assert.equal(real.aborted, true);
    assert.deepEqual(real.reason, { kind: 'cancel' });
    const after = new LocalAbortController();
    after.abort('late');
    assert.equal(after.realSignal().aborted, true);
    assert.equal(after.realSignal().reason, 'late');
  });
});
