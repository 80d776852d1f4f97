import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoopDelayWindow } from '../../src/serve/loop-delay.js';

describe('event-loop delay window', () => {
  it('reports a stall while it is in the window, and forgets it once the window has moved past', () => {
    const w = new LoopDelayWindow(10);
    assert.deepEqual(w.read(), { p99_ms: 0, max_ms: 0 });
    for (let i = 0; i < 1000; i++) w.record(1);
    for (let i = 0; i < 20; i++) w.record(400); // 2 % of samples stalled
    assert.ok(w.read().p99_ms >= 399, JSON.stringify(w.read()));
    for (let s = 0; s < 9; s++) (w.rotate(), w.record(1));
    assert.ok(w.read().max_ms >= 399, 'still inside the last 10 slices');
    w.rotate();
    w.record(1);
    assert.ok(w.read().max_ms < 2, JSON.stringify(w.read()));
  });
});
