import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { envelope, startHarness, text, until, WF, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('tools/list', () => {
  it('lists one tool per workflow and per version, with schema, envelope and honest annotations', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo, 'echo2.workflow.mjs': WF.echo.replace('version: 1', 'version: 2') } });
    const { tools } = await h.client.listTools(); // the SDK client validates every schema it receives
    const names = tools.map((t) => t.name);
    for (const n of ['local_echo', 'local_echo_v1', 'local_echo_v2', 'run_workflow', 'search_workflows', 'get_run', 'wait_for_run', 'cancel_run', 'list_runs', 'refresh']) assert.ok(names.includes(n), `missing ${n}`);
    const echo = tools.find((t) => t.name === 'local_echo')!;
    assert.equal(echo.title, 'Echo');
    assert.equal(tools.find((t) => t.name === 'local_echo_v1')!.title, 'Echo · v1');
    assert.equal(echo.inputSchema.type, 'object');
    assert.deepEqual(echo.inputSchema.required, ['msg']);
    assert.match(echo.description!, /\(latest: v2\)/);
    assert.deepEqual(echo.annotations, { destructiveHint: false, openWorldHint: true }, 'readOnlyHint/idempotentHint false are the spec defaults');
    assert.equal(echo.outputSchema, undefined, 'no output schema from the workflow: the envelope is returned, not declared');
    assert.ok((tools.find((t) => t.name === 'run_workflow')!.outputSchema!.required as string[]).includes('run_id'));
    for (const t of tools) assert.match(t.name, /^[a-z0-9_]{1,48}$/);
  });

  it('keeps serving the good workflows when one file is broken, and says why in the log', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo, 'bad.workflow.mjs': 'export default {{ syntax error', 'noname.workflow.json': '{"command":["true"]}' } });
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('local_echo'));
    assert.ok(h.logs.some((l) => l.includes('bad.workflow.mjs') && l.includes('skipped')));
    assert.ok(h.logs.some((l) => l.includes('noname.workflow.json') && l.includes('name')));
  });

  it('compact mode and maxTools list only the generic and runs tools; read-only lists only read-only tools', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo }, flags: { tools: 'compact' } });
    let names = (await h.client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names, ['run_workflow', 'search_workflows', 'refresh', 'get_run', 'wait_for_run', 'cancel_run', 'list_runs']);
    await h.close();
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo }, configFile: { maxTools: 1 } });
    names = (await h.client.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes('local_echo'));
    assert.ok(h.logs.some((l) => l.includes('over maxTools')));
    await h.close();
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo }, flags: { readOnly: true } });
    const tools = (await h.client.listTools()).tools;
    assert.ok(tools.length > 0 && tools.every((t) => t.annotations?.readOnlyHint === true));
    const r = await h.client.callTool({ name: 'local_echo', arguments: { msg: 'x' } }).catch((e: Error) => e);
    assert.ok(r instanceof Error && /Unknown tool/.test(r.message), 'workflow tools cannot be called in read-only mode');
  });

  it('include/exclude filters and versions: latest', async () => {
    h = await startHarness({
      files: { 'echo.workflow.mjs': WF.echo, 'echo2.workflow.mjs': WF.echo.replace('version: 1', 'version: 2'), 'fail.workflow.mjs': WF.fail },
      configFile: { providers: { local: { exclude: ['fa*'], versions: 'latest' } } },
    });
    const names = (await h.client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('local_'));
    assert.deepEqual(names, ['local_echo']);
  });

  it('sends tools/list_changed when a workflow file is added, and the new tool works', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo }, live: true });
    let changed = 0;
    h.client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema, async () => void changed++);
    writeFileSync(join(h.dir, 'fail.workflow.mjs'), WF.fail);
    await until(() => changed > 0, 5000, 'list_changed');
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('local_fail'));
    rmSync(join(h.dir, 'fail.workflow.mjs'));
    await until(() => changed > 1, 5000, 'second list_changed');
    const vanished = await h.call('local_fail', {});
    assert.equal(vanished.isError, true);
    assert.match(text(vanished), /no longer in the catalog.*List the tools again/s);
  });

  it('refresh tool re-reads the folder and reports files it could not load', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    writeFileSync(join(h.dir, 'broken.workflow.json'), '{ not json');
    writeFileSync(join(h.dir, 'fail.workflow.mjs'), WF.fail);
    const r = await h.call('refresh');
    const sc = envelope(r) as { changed: boolean; problems: Array<{ where: string }> };
    assert.equal(sc.changed, true);
    assert.ok(sc.problems.some((p) => p.where.endsWith('broken.workflow.json')));
  });
});

describe('tools/call', () => {
  it('returns the run envelope, the output as text and a resource_link', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    const r = await h.call('local_echo', { msg: 'hi' });
    assert.equal(r.isError, undefined);
    const env = envelope(r);
    assert.equal(env['status'], 'completed');
    assert.equal(env['provider'], 'local');
    assert.equal(env['workflow_id'], 'echo');
    assert.equal(env['version'], '1');
    assert.deepEqual(env['output'], { echoed: { msg: 'hi', n: 1 } }, 'defaults are folded into the input');
    assert.equal(env['run_uri'], `workflows://runs/local/${env['run_id'] as string}`);
    assert.ok(env['started_at'] && env['ended_at']);
    // The text carries the envelope's essentials for clients that read only text, then the output.
    const [head, label, ...body] = text(r).split('\n');
    assert.equal(head, `status: completed · run_id: ${env['run_id'] as string} · provider: local · workflow_id: echo · version: 1`);
    assert.equal(label, 'output:');
    assert.deepEqual(JSON.parse(body.join('\n')), { echoed: { msg: 'hi', n: 1 } });
    assert.ok(r.content.some((c) => c.type === 'resource_link' && c.uri === env['run_uri']));
  });

  it('rejects bad arguments naming each field, and starts no run', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    const r = await h.call('local_echo', { n: -1, extra: true });
    assert.equal(r.isError, true);
    const t = text(r);
    assert.match(t, /msg: is required/);
    assert.match(t, /n: must be >= 0/);
    assert.match(t, /extra: is not an accepted field/);
    assert.match(t, /no run was started/);
    assert.equal((await h.app.deps.tracker.list({ limit: 10 })).runs.length, 0);
  });

  it('a failed run is an isError result with the envelope and the error message', async () => {
    h = await startHarness({ files: { 'fail.workflow.mjs': WF.fail } });
    const r = await h.call('local_fail', {});
    assert.equal(r.isError, true);
    assert.equal(envelope(r)['status'], 'failed');
    assert.equal(envelope(r)['error'], 'the thing broke');
    assert.match(text(r), /the thing broke/);
  });

  it('unknown tools are protocol errors (-32602)', async () => {
    h = await startHarness({ files: {} });
    await assert.rejects(h.call('local_nothing', {}), (e: Error & { code?: number }) => e.code === -32602);
  });

  it('run_workflow and search_workflows reach any workflow', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo, 'fail.workflow.mjs': WF.fail } });
    const found = envelope(await h.call('search_workflows', { query: 'echo' })) as { workflows: Array<Record<string, unknown>> };
    assert.equal(found.workflows.length, 1);
    assert.equal(found.workflows[0]!['tool'], 'local_echo');
    assert.ok(found.workflows[0]!['input_schema']);
    const r = await h.call('run_workflow', { provider: 'local', workflow_id: 'echo', input: { msg: 'generic' } });
    assert.equal(envelope(r)['status'], 'completed');
    const bad = await h.call('run_workflow', { provider: 'local', workflow_id: 'echo', input: {} });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /msg: is required/);
    const missing = await h.call('run_workflow', { provider: 'local', workflow_id: 'nope' });
    assert.match(text(missing), /search_workflows/);
    const badVersion = await h.call('run_workflow', { provider: 'local', workflow_id: 'echo', version: '9', input: { msg: 'x' } });
    assert.match(text(badVersion), /has no version "9"; it has 1/);
  });

  it('static tools reject bad arguments with field names too', async () => {
    h = await startHarness({ files: {} });
    const r = await h.call('get_run', { provider: 'local' });
    assert.equal(r.isError, true);
    assert.match(text(r), /run_id: /);
  });
});
