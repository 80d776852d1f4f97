import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { fakeClock } from '../helpers/clock.js';
import { HEARTBEAT_MS, ProgressReporter } from '../../src/mcp/progress.js';
import { settledWithin } from '../../src/core/clock.js';
import type { Run } from '../../src/providers/types.js';

const run: Run = { provider: 'local', workflowId: 'w', runId: 'r1', status: 'running', input: {}, output: null, error: null, createdAt: '', startedAt: null, endedAt: null };

describe('progress reporter', () => {
  it('sends status changes at once, throttles the rest, beats every 10 s, and only ever increases', () => {
    const clock = fakeClock();
    const sent: Array<{ progress: number; message: string; _meta: Record<string, unknown> }> = [];
    const r = new ProgressReporter({ token: 't', send: async (n: ServerNotification) => void sent.push(n.params as never) }, clock, clock.now());
    r.update(run, null, null, true);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!._meta['run_id'], 'r1');
    assert.equal(sent[0]!._meta['run_uri'], 'workflows://runs/local/r1');
    r.update(run, 'a', null, false);
    r.update(run, 'b', null, false);
    assert.equal(sent.length, 1, 'coalesced within 250 ms');
    clock.advance(250);
    assert.equal(sent.length, 2);
    assert.match(sent[1]!.message, /^running · b · 0s$/);
    clock.advance(HEARTBEAT_MS);
    assert.equal(sent.length, 3, 'heartbeat');
    assert.match(sent[2]!.message, /10s$/);
    r.update({ ...run, status: 'completed' }, 'b', 0.2, true);
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i]!.progress > sent[i - 1]!.progress, `${sent[i]!.progress} > ${sent[i - 1]!.progress}`);
    r.stop();
    clock.advance(60_000);
    assert.equal(sent.length, 4, 'nothing after stop');
  });

  it('with `ready`, sends nothing until it settles, then every progress in the order it was made', async () => {
    const clock = fakeClock();
    const sent: string[] = [];
    let record!: () => void;
    const ready = new Promise<void>((resolve) => (record = resolve));
    const r = new ProgressReporter({ token: 't', send: async (n: ServerNotification) => void sent.push((n.params as { message: string }).message), ready }, clock, clock.now());
    r.update(run, null, null, true);
    r.update({ ...run, status: 'waiting' }, null, null, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [], 'held until the run is recorded');
    record();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, ['running · 0s', 'waiting · 0s']);
    r.update({ ...run, status: 'completed' }, null, null, true);
    assert.deepEqual(sent, ['running · 0s', 'waiting · 0s', 'completed · 0s'], 'once recorded, at once again (before the answer)');
    r.stop();
  });

  it('with a `ready` that fails, progress still goes out (it is best effort, the run goes on)', async () => {
    const clock = fakeClock();
    const sent: string[] = [];
    const r = new ProgressReporter({ token: 't', send: async (n: ServerNotification) => void sent.push((n.params as { message: string }).message), ready: Promise.reject(new Error('journal down')) }, clock, clock.now());
    r.update(run, null, null, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, ['running · 0s']);
    r.stop();
  });

  it('settledWithin: a record that never comes holds progress back only as long as its cap', async () => {
    const t0 = Date.now();
    const alive = setTimeout(() => {}, 10_000); // settledWithin's timer is unref'd: this one keeps the process up meanwhile
    await settledWithin(new Promise(() => {}), 50);
    clearTimeout(alive);
    assert.ok(Date.now() - t0 >= 45, 'waited for the cap');
    await settledWithin(Promise.reject(new Error('journal down')), 10_000); // a failure settles it at once
    await settledWithin(Promise.resolve(), 10_000);
    assert.ok(Date.now() - t0 < 5000, 'neither waited for its cap');
  });
});
