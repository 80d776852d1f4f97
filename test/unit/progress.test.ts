import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { fakeClock } from '../helpers/clock.js';
import { HEARTBEAT_MS, ProgressReporter } from '../../src/mcp/progress.js';
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
});
