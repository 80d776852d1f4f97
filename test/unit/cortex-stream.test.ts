import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent, parseSse, type RunState, type SseEvent } from '../../src/providers/cortex/stream.js';

async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all(text: string, size: number): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of parseSse(pieces(text, size))) out.push(e);
  return out;
}

describe('cortex SSE', () => {
  it('parses events across any chunk boundaries, LF or CRLF, with multi-line data, comments, ids and retry', async () => {
    const text = ': hello\nretry: 2000\nevent: run\nid: 1\ndata: {"id":"r1",\ndata: "status":"RUNNING"}\n\nevent: step\r\ndata: {"key":"a","status":"RUNNING"}\r\n\r\nevent: empty\n\n';
    for (const size of [1, 3, 7, 1000]) {
      const events = await all(text, size);
      assert.equal(events.length, 2, `chunk size ${size}`);
      assert.deepEqual(events[0], { event: 'run', data: '{"id":"r1",\n"status":"RUNNING"}', id: '1', retry: 2000 });
      assert.equal(events[1]!.event, 'step');
      assert.deepEqual(JSON.parse(events[0]!.data), { id: 'r1', status: 'RUNNING' });
    }
  });

  it('merges run, step and chunk events as the contract says, also over 1,000 chunks', () => {
    let s: RunState | null = applyEvent(null, 'step', { key: 'early', status: 'RUNNING' });
    assert.equal(s, null, 'steps before the first run are ignored');
    s = applyEvent(s, 'run', { id: 'r1', status: 'RUNNING', output: {} });
    s = applyEvent(s, 'step', { key: 'write', type: 'model', status: 'RUNNING', output: { message: '' } });
    for (let i = 0; i < 1000; i++) s = applyEvent(s, 'chunk', { key: 'write', status: 'RUNNING', output: { message: 'ab' } });
    assert.equal((s!.output!['write']!['output'] as { message: string }).message.length, 2000);
    s = applyEvent(s, 'chunk', { key: 'write', status: 'RUNNING', output: { tool_calls: [{ id: 't1', name: 'search', input: '{"q":' }] } });
    s = applyEvent(s, 'chunk', { key: 'write', status: 'RUNNING', output: { tool_calls: [{ id: 't1', input: '"x"}' }] } });
    assert.deepEqual((s!.output!['write']!['output'] as { tool_calls: unknown[] }).tool_calls, [{ id: 't1', name: 'search', input: '{"q":"x"}' }]);
    s = applyEvent(s, 'chunk', { key: 'loop', status: 'RUNNING', calls: [{ id: 'c1', status: 'RUNNING' }] });
    s = applyEvent(s, 'chunk', { key: 'loop', status: 'RUNNING', calls: [{ id: 'c1', status: 'COMPLETED' }, { id: 'c2', status: 'RUNNING' }] });
    assert.deepEqual(s!.output!['loop']!['calls'], [{ id: 'c1', status: 'COMPLETED' }, { id: 'c2', status: 'RUNNING' }]);
    s = applyEvent(s, 'chunk', { key: 'iter', status: 'RUNNING', output: { index: 1, message: 'second' } });
    s = applyEvent(s, 'chunk', { key: 'iter', status: 'RUNNING', output: { index: 0, message: 'first' } });
    assert.deepEqual(s!.output!['iter']!['output'], [{ message: 'first' }, { message: 'second' }]);
    s = applyEvent(s, 'chunk', { key: 'write', status: 'COMPLETED', output: { message: 'final text' } });
    assert.deepEqual(s!.output!['write']!['output'], { message: 'final text' }, 'a final chunk replaces');
    s = applyEvent(s, 'run', { id: 'r1', status: 'COMPLETED', result: { ok: true } });
    assert.equal(s!['status'], 'COMPLETED');
  });
});

describe('cortex mapping', () => {
  it('maps the six statuses (SKIPPED completed, raw kept), result as output, steps from the output map or array', async () => {
    const { statusOf, stepsOf, toRun } = await import('../../src/providers/cortex/map.js');
    const { CortexRun } = await import('../../src/providers/cortex/wire.js');
    assert.deepEqual(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED', 'WEIRD'].map(statusOf), ['queued', 'running', 'completed', 'failed', 'cancelled', 'completed', 'unknown']);
    const run = CortexRun.parse({ id: 'r1', status: 'SKIPPED', result: { a: 1 }, version: 3, output: { s1: { status: 'COMPLETED', type: 'model', start: 0, end: 1000 } }, started_at: '2026-11-23T10:00:00.000Z', ended_at: null });
    const mapped = toRun(run, 'w1', {});
    assert.equal(mapped.status, 'completed');
    assert.deepEqual(mapped.raw, { status: 'SKIPPED' });
    assert.deepEqual(mapped.output, { a: 1 });
    assert.equal(mapped.version, '3');
    assert.ok(mapped.endedAt, 'an ended run gets an end time even when Cortex sends none');
    assert.deepEqual(stepsOf(run.output), [{ key: 's1', name: 'model "s1"', status: 'completed', at: '1970-01-01T00:00:01.000Z' }]);
    assert.equal(stepsOf(CortexRun.parse({ id: "r2", status: "RUNNING", output: [{ key: "a", status: "RUNNING" }] }).output)[0]!.key, "a");
    assert.equal(toRun(CortexRun.parse({ id: 'r3', status: 'FAILED', error: 'boom' }), 'w', {}).error, 'boom');
  });
});

describe('cortex run mapping is lenient where the contract is loose', () => {
  it('epoch dates, an object error, numeric-text versions and odd steps never hide a run', async () => {
    const { CortexRun, CortexVersion } = await import('../../src/providers/cortex/wire.js');
    const { runUpdateOf } = await import('../../src/providers/cortex/map.js');
    const r = CortexRun.parse({ id: 'r1', status: 'FAILED', error: { code: 'E1', detail: 'x' }, version: '3', started_at: 0, ended_at: 1000, output: { a: { status: 'FAILED', type: 'code' }, b: 'junk', c: { type: 'model' } } });
    const u = runUpdateOf(r);
    assert.equal(u.status, 'failed');
    assert.equal(u.error, '{"code":"E1","detail":"x"}');
    assert.equal(u.startedAt, '1970-01-01T00:00:00.000Z');
    assert.equal(u.endedAt, '1970-01-01T00:00:01.000Z');
    assert.deepEqual(u.steps!.map((s) => `${s.key}:${s.status}`), ['a:failed', 'c:unknown']);
    assert.equal(CortexVersion.parse({ id: 'v', version: '7', created_at: 1700000000000 }).version, 7);
  });
});
