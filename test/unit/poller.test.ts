import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import type { RunStatus, RunUpdate } from '../../src/providers/types.js';
import { pollDelay, pollRun, RequestBudget } from '../../src/runs/poller.js';
import { fakeClock, simulate } from '../helpers/clock.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });

describe('poller', () => {
  it('starts fast, backs off to a cap, and polls slowly while a run waits for a person', () => {
    assert.equal(pollDelay(1, 'running'), 400);
    assert.ok(pollDelay(3, 'running') > pollDelay(2, 'running'));
    assert.equal(pollDelay(50, 'running'), 10_000);
    assert.equal(pollDelay(1, 'waiting'), 60_000);
  });

  it('shares one request budget among runs', async () => {
    const clock = fakeClock();
    const budget = new RequestBudget(clock, 5);
    const times: number[] = [];
    const signal = new AbortController().signal;
    const start = clock.now();
    const takers = Array.from({ length: 15 }, () => budget.take(signal).then(() => times.push(clock.now() - start)));
    await simulate(clock, 3000, 50);
    await Promise.all(takers);
    assert.equal(times.length, 15);
    assert.ok(times.slice(0, 5).every((t) => t <= 50), `a burst of five goes at once: ${times.join(', ')}`);
    assert.ok(times[14]! >= 1950 && times[14]! <= 2050, `then five a second: the 15th at about 2 s, got ${times[14]}`);
  });

  it('polls a 60 s run to its end in at most 15 requests, reporting each change once read', async () => {
    const clock = fakeClock();
    const start = clock.now();
    let reads = 0;
    const updates: RunUpdate[] = [];
    const done = pollRun({
      read: async () => (reads++, { status: (clock.now() - start >= 60_000 ? 'completed' : 'running') as RunStatus }),
      onUpdate: (u) => void updates.push(u), signal: new AbortController().signal, clock, budget: new RequestBudget(clock, 5), log, what: 'test',
    });
    await simulate(clock, 75_000, 200);
    await done;
    assert.ok(reads <= 15, `${reads} reads`);
    assert.equal(updates[updates.length - 1]!.status, 'completed');
  });

  it('reports unknown after repeated failures but keeps trying; a wake ends the wait at once', async () => {
    const clock = fakeClock();
    let fail = true;
    let wake: () => void = () => {};
    let reads = 0;
    const updates: RunUpdate[] = [];
    const controller = new AbortController();
    const done = pollRun({
      read: async () => {
        reads++;
        if (fail) throw new Error('503');
        return { status: 'waiting' as RunStatus };
      },
      onUpdate: (u) => void updates.push(u), signal: controller.signal, clock, budget: new RequestBudget(clock, 50), log, what: 'test', failuresBeforeUnknown: 3, onWake: (w) => (wake = w),
    });
    await simulate(clock, 30_000, 200);
    assert.equal(updates[0]!.status, 'unknown');
    fail = false;
    await simulate(clock, 15_000, 200);
    assert.equal(updates[updates.length - 1]!.status, 'waiting');
    const before = reads;
    await simulate(clock, 1000, 200);
    assert.equal(reads, before, 'waiting runs are read slowly');
    wake();
    await simulate(clock, 1000, 100);
    assert.equal(reads, before + 1, 'a wake reads again at once');
    controller.abort();
    await done;
  });
});
