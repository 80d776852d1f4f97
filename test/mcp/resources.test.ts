import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { envelope, startHarness, until, WF, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('resources', () => {
  it('lists workflows and recent runs, and offers the three templates', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    const r = await h.call('local_echo', { msg: 'a' });
    const { resources } = await h.client.listResources();
    const uris = resources.map((x) => x.uri);
    assert.ok(uris.includes('workflows://workflows/local/echo'));
    assert.ok(uris.includes(envelope(r)['run_uri'] as string));
    const { resourceTemplates } = await h.client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate).sort(), [
      'workflows://runs/{provider}/{run_id}',
      'workflows://workflows/{provider}/{workflow_id}',
      'workflows://workflows/{provider}/{workflow_id}/runs',
    ]);
  });

  it('reads a run, a workflow and its history; unknown URIs are -32002', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow } });
    const env = envelope(await h.call('local_slow', { ms: 10, steps: 2 }, { onprogress: () => {} }));
    const run = JSON.parse(((await h.client.readResource({ uri: env['run_uri'] as string })).contents[0] as { text: string }).text);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.input, { ms: 10, steps: 2 });
    assert.equal(run.run_id, env['run_id']);
    const wf = JSON.parse(((await h.client.readResource({ uri: 'workflows://workflows/local/slow' })).contents[0] as { text: string }).text);
    assert.equal(wf.name, 'Slow');
    assert.deepEqual(wf.versions.map((v: { key: string; tool: string }) => [v.key, v.tool]), [['1', 'local_slow_v1']]);
    const hist = JSON.parse(((await h.client.readResource({ uri: 'workflows://workflows/local/slow/runs' })).contents[0] as { text: string }).text);
    assert.equal(hist.runs[0].run_id, env['run_id']);
    await assert.rejects(h.client.readResource({ uri: 'workflows://runs/local/nope' }), (e: Error & { code?: number }) => e.code === -32002);
    await assert.rejects(h.client.readResource({ uri: 'https://example.com/x' }), (e: Error & { code?: number }) => e.code === -32002);
  });

  it('sends resources/updated to subscribers as a run changes', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow }, flags: { waitSeconds: 0 } });
    const updated: string[] = [];
    h.client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => void updated.push(n.params.uri));
    const env = envelope(await h.call('local_slow', { ms: 50, steps: 2 }));
    await h.client.subscribeResource({ uri: env['run_uri'] as string });
    await h.client.subscribeResource({ uri: 'workflows://workflows/local/slow/runs' });
    await until(async () => (await h!.app.deps.tracker.get('local', env['run_id'] as string))?.status === 'completed', 5000, 'the run to end');
    await until(() => updated.includes(env['run_uri'] as string), 2000, 'resources/updated');
    assert.ok(updated.includes('workflows://workflows/local/slow/runs'));
    await h.client.unsubscribeResource({ uri: env['run_uri'] as string });
  });

  it('says resources/list_changed when runs start: at once, then at most once a second for a burst', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    let changed = 0;
    h.client.setNotificationHandler(ResourceListChangedNotificationSchema, async () => void changed++);
    await h.call('local_echo', { msg: 'first' });
    await until(() => changed === 1, 2000, 'the first list_changed');
    const from = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => h!.call('local_echo', { msg: String(i) })));
    await until(() => changed === 2, 3000, 'one more list_changed for the burst');
    const seconds = (Date.now() - from) / 1000;
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(changed <= 2 + Math.ceil(seconds), `${changed} list_changed for 41 new runs in ${seconds.toFixed(1)} s`);
    assert.ok((await h.client.listResources()).resources.length >= 41, 'every run is listed');
  });

  it('completes template arguments', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo, 'fail.workflow.mjs': WF.fail } });
    const env = envelope(await h.call('local_echo', { msg: 'x' }));
    const ref = { type: 'ref/resource' as const, uri: 'workflows://workflows/{provider}/{workflow_id}' };
    assert.deepEqual((await h.client.complete({ ref, argument: { name: 'provider', value: 'lo' } })).completion.values, ['local']);
    assert.deepEqual((await h.client.complete({ ref, argument: { name: 'workflow_id', value: 'e' }, context: { arguments: { provider: 'local' } } })).completion.values, ['echo']);
    const runRef = { type: 'ref/resource' as const, uri: 'workflows://runs/{provider}/{run_id}' };
    const runIds = (await h.client.complete({ ref: runRef, argument: { name: 'run_id', value: 'lr_' } })).completion.values;
    assert.ok(runIds.includes(env['run_id'] as string));
  });
});
