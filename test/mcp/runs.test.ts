import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { envelope, startHarness, text, until, WF, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type ProgressWithMeta = Progress & { _meta?: Record<string, unknown> };

describe('runs through MCP', () => {
  it('sends progress with the run handle in _meta, strictly increasing', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow } });
    const seen: ProgressWithMeta[] = [];
    const r = await h.call('local_slow', { ms: 300, steps: 2 }, { onprogress: (p) => void seen.push(p as ProgressWithMeta) });
    assert.equal(envelope(r)['status'], 'completed');
    assert.ok(seen.length >= 2, `got ${seen.length} progress notifications`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.progress > seen[i - 1]!.progress, 'progress must increase');
    assert.equal(seen[0]!._meta?.['run_id'], envelope(r)['run_id']);
    assert.equal(seen[0]!._meta?.['run_uri'], envelope(r)['run_uri']);
    assert.ok(seen.some((p) => /step \d/.test(p.message ?? '')), 'messages carry the workflow progress');
  });

  it('sends no progress without a progress token', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow } });
    await h.call('local_slow', { ms: 20, steps: 2 });
    assert.equal(h.notifications.filter((n) => n.method === 'notifications/progress').length, 0);
  });

  it('past the wait budget returns status running, and wait_for_run gets the result', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow }, flags: { waitSeconds: 0.1 } });
    const r = await h.call('local_slow', { ms: 150, steps: 3 });
    assert.equal(r.isError, undefined);
    const env = envelope(r);
    assert.equal(env['status'], 'running');
    assert.match(text(r), /wait_for_run/);
    const got = await h.call('get_run', { provider: 'local', run_id: env['run_id'] as string });
    assert.equal(envelope(got)['status'], 'running');
    const done = await h.call('wait_for_run', { provider: 'local', run_id: env['run_id'] as string, timeout_seconds: 10 });
    assert.equal(envelope(done)['status'], 'completed');
    assert.deepEqual(envelope(done)['output'], { steps: 3 });
  });

  it('notifications/cancelled cancels the run and records it', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow } });
    const controller = new AbortController();
    let runId: string | undefined;
    const call = h.call('local_slow', { ms: 2000, steps: 5 }, { signal: controller.signal, onprogress: (p) => void (runId ??= (p as ProgressWithMeta)._meta?.['run_id'] as string) });
    await until(() => runId !== undefined, 5000, 'first progress');
    controller.abort('user pressed stop');
    await assert.rejects(call);
    await until(async () => (await h!.app.deps.tracker.get('local', runId!))?.status === 'cancelled', 5000, 'cancelled in the journal');
    await h.app.deps.tracker.flush(); // the store is written behind the tracker's own copy
    assert.equal((await h.app.deps.tracker.store.get('local', runId!))!.status, 'cancelled');
  });

  it('a closed connection detaches: the run goes on to the end', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow } });
    let runId: string | undefined;
    void h.call('local_slow', { ms: 100, steps: 3 }, { onprogress: (p) => void (runId ??= (p as ProgressWithMeta)._meta?.['run_id'] as string) }).catch(() => {});
    await until(() => runId !== undefined, 5000, 'first progress');
    await h.client.close();
    await until(async () => (await h!.app.deps.tracker.get('local', runId!))?.status === 'completed', 5000, 'run completed after the client left');
  });

  it('cancel_run stops a running run; cancelling again says it already ended', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow }, flags: { waitSeconds: 0 } });
    const started = envelope(await h.call('local_slow', { ms: 5000, steps: 2 }));
    const r = await h.call('cancel_run', { provider: 'local', run_id: started['run_id'] as string });
    assert.equal(r.isError, undefined);
    assert.equal(envelope(r)['status'], 'cancelled');
    const again = await h.call('cancel_run', { provider: 'local', run_id: started['run_id'] as string });
    assert.match(text(again), /already ended/);
  });

  it('list_runs pages newest first and filters', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo, 'fail.workflow.mjs': WF.fail } });
    for (let i = 0; i < 3; i++) await h.call('local_echo', { msg: `m${i}` });
    await h.call('local_fail', {});
    const first = envelope(await h.call('list_runs', { limit: 2 })) as { runs: Array<Record<string, unknown>>; next_cursor: string | null };
    assert.equal(first.runs.length, 2);
    assert.equal(first.runs[0]!['workflow_id'], 'fail');
    assert.ok(first.next_cursor);
    const second = envelope(await h.call('list_runs', { limit: 2, cursor: first.next_cursor! })) as typeof first;
    assert.equal(second.runs.length, 2);
    assert.equal(second.next_cursor, null);
    const ids = new Set([...first.runs, ...second.runs].map((r) => r['run_id']));
    assert.equal(ids.size, 4);
    const failed = envelope(await h.call('list_runs', { status: 'failed' })) as typeof first;
    assert.deepEqual(failed.runs.map((r) => r['workflow_id']), ['fail']);
    const bad = await h.call('list_runs', { cursor: 'garbage' });
    assert.equal(bad.isError, true);
  });

  it('get_run on an unknown run says how to find runs', async () => {
    h = await startHarness({ files: {} });
    const r = await h.call('get_run', { provider: 'local', run_id: 'lr_nope' });
    assert.equal(r.isError, true);
    assert.match(text(r), /list_runs/);
  });

  it('sends log messages at the level the client chose', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    await h.client.setLoggingLevel('debug');
    await h.call('local_echo', { msg: 'x' });
    await until(() => h!.notifications.some((n) => n.method === 'notifications/message'), 2000, 'a log message');
    await h.client.setLoggingLevel('error');
    const before = h.notifications.length;
    await h.call('local_echo', { msg: 'y' });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.notifications.slice(before).filter((n) => n.method === 'notifications/message').length, 0);
  });

  it('never shows configured secrets in results, resources or logs', async () => {
    const secret = 'sk-live-THIS-IS-SECRET-123';
    const leak = `export default { name: 'Leak', version: 1, input: { type: 'object' }, run: () => ({ token: process.env.TEST_SECRET, note: 'key ' + process.env.TEST_SECRET }) };`;
    process.env['TEST_SECRET'] = secret;
    try {
      h = await startHarness({ files: { 'leak.workflow.mjs': leak }, env: { WORKFLOWS_MCP_TOKEN: secret, LOOPLY_API_KEY: secret } });
      const r = await h.call('local_leak', {});
      const read = await h.client.readResource({ uri: envelope(r)['run_uri'] as string });
      h.app.log.warn(`something mentioning ${secret}`);
      const everything = JSON.stringify([r, read]) + h.logs.join('');
      assert.ok(!everything.includes(secret), 'secret leaked');
      assert.ok(everything.includes('[redacted]'));
    } finally {
      delete process.env['TEST_SECRET'];
    }
  });
});
