import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { Pacer } from '../../src/core/pace.js';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('pacer', () => {
  it('hands out turns first come first served, a few per loop turn: a timer runs between the groups of a heavy burst', async () => {
    const pacer = new Pacer(8);
    const order: number[] = [];
    let timerFiredAfter = -1;
    setTimeout(() => (timerFiredAfter = order.length), 0);
    await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      await pacer.turn();
      order.push(i);
      busy(1); // each turn's synchronous work: 200 ms for the burst
    }));
    assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i), 'in arrival order');
    assert.ok(timerFiredAfter >= 0 && timerFiredAfter < 50, `the timer ran after ${timerFiredAfter} of 200 turns`);
    assert.equal(pacer.counts.turns, 200);
    assert.ok(pacer.counts.groups > 10, `${pacer.counts.groups} groups`);
    assert.equal(pacer.queued, 0);
  });

  it('lets cheap work through in large groups', async () => {
    const pacer = new Pacer(8, 64);
    await Promise.all(Array.from({ length: 1000 }, () => pacer.turn()));
    assert.ok(pacer.counts.groups < 100, `${pacer.counts.groups} groups for 1,000 cheap turns`);
  });
});
