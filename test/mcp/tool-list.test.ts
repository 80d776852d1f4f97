import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { staticToolBuilds } from '../../src/mcp/tool.js';
import { STATIC_TOOLS } from '../../src/mcp/tools/index.js';
import { envelope, startHarness, WF, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TYPED = `export default { name: 'Typed', version: 1, input: { type: 'object', properties: { n: { type: 'integer' } } },
  output: { type: 'object', properties: { doubled: { type: 'integer' } }, required: ['doubled'] }, run: (i) => (i.big ? { doubled: 1, pad: 'x'.repeat(2 * 1024 * 1024) } : { doubled: (i.n ?? 0) * 2 }) };`;
const REFS = `export default { name: 'Refs', version: 1, input: { type: 'object' },
  output: { $defs: { n: { type: 'integer' } }, type: 'object', properties: { n: { $ref: '#/$defs/n' } } }, run: () => ({ n: 1 }) };`;

describe('tools/list cost', () => {
  it('describes each static tool once per process, however many lists and calls follow', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    const before = staticToolBuilds();
    await h.client.listTools();
    const afterFirst = staticToolBuilds();
    assert.ok(afterFirst - before <= STATIC_TOOLS.length);
    for (let i = 0; i < 5; i++) {
      await h.client.listTools();
      await h.call('local_echo', { msg: 'hi' });
      await h.call('search_workflows', { query: 'echo' });
      await h.call('list_runs', {});
    }
    assert.equal(staticToolBuilds(), afterFirst, 'tools/list and tools/call reuse the static descriptions');
  });

  it('a workflow tool declares an output schema only when the workflow has one; both return the envelope', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo, 'typed.workflow.mjs': TYPED, 'refs.workflow.mjs': REFS } });
    const { tools } = await h.client.listTools();
    const typed = tools.find((t) => t.name === 'local_typed')!;
    const output = (typed.outputSchema!.properties as Record<string, { anyOf: unknown[] }>)['output']!;
    assert.deepEqual(output.anyOf[0], { type: 'object', properties: { doubled: { type: 'integer' } }, required: ['doubled'] });
    assert.equal(output.anyOf.length, 3, 'or null (not done), or the note that stands in for an output too big to send');
    assert.equal(tools.find((t) => t.name === 'local_echo')!.outputSchema, undefined);
    assert.equal(tools.find((t) => t.name === 'local_refs')!.outputSchema, undefined, 'a schema with $refs is not declared');
    // The SDK client validates the declared schema; the undeclared ones still carry the envelope.
    assert.deepEqual(envelope(await h.call('local_typed', { n: 2 }))['output'], { doubled: 4 });
    assert.equal((envelope(await h.call('local_typed', { big: true }))['output'] as { truncated: boolean }).truncated, true, 'the note passes the declared schema');
    assert.equal(envelope(await h.call('local_echo', { msg: 'x' }))['status'], 'completed');
    assert.deepEqual(envelope(await h.call('local_refs', {}))['output'], { n: 1 });
  });

  it('names every declared output schema by its content ($id), so an SDK client compiles each once, not on every list', async () => {
    h = await startHarness({ files: { 'typed.workflow.mjs': TYPED } });
    const { tools } = await h.client.listTools();
    const declared = tools.filter((t) => t.outputSchema);
    assert.ok(declared.length >= 5);
    for (const t of declared) assert.match(String(t.outputSchema!['$id']), /^urn:workflows-mcp:schema:[0-9a-f]{20}$/, t.name);
    const id = (name: string): unknown => tools.find((t) => t.name === name)!.outputSchema!['$id'];
    assert.equal(id('run_workflow'), id('get_run'), 'the same envelope, the same id');
    assert.notEqual(id('local_typed'), id('run_workflow'));
    assert.notEqual(id('list_runs'), id('run_workflow'));
  });

  it('keeps workflow tool descriptions short', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    const echo = (await h.client.listTools()).tools.find((t) => t.name === 'local_echo')!;
    assert.equal(echo.description, 'Returns its input.\n\nRuns local workflow echo (latest: v1).');
  });

  it('lists only what a client uses: no _meta, hints that differ from a missing one, no $schema on static tools', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo }, configFile: { providers: { local: { destructive: true } } } });
    const { tools } = await h.client.listTools();
    const echo = tools.find((t) => t.name === 'local_echo')!;
    assert.deepEqual(echo.annotations, { destructiveHint: true, openWorldHint: true }, 'destructive and open-world (spec default true) stay explicit');
    assert.equal(tools.find((t) => t.name === 'local_echo_v1')!.description, 'Returns its input.\n\nRuns local workflow echo, version 1.');
    for (const t of tools) assert.equal(t._meta, undefined, t.name);
    const byName = (n: string) => tools.find((t) => t.name === n)!;
    assert.deepEqual(byName('get_run').annotations, { readOnlyHint: true, idempotentHint: true, openWorldHint: false });
    assert.deepEqual(byName('run_workflow').annotations, { destructiveHint: false, openWorldHint: true });
    assert.deepEqual(byName('cancel_run').annotations, { idempotentHint: true, destructiveHint: true, openWorldHint: true });
    for (const t of tools.filter((x) => !x.name.startsWith('local_'))) assert.equal(t.inputSchema['$schema'], undefined, t.name);
    // Beyond its name, title, schemas and the workflow's own description, a workflow tool costs
    // one short line, two hints and taskSupport: tools/list repeats this for every workflow.
    const own = ['name', 'title', 'inputSchema'].reduce((n, k) => n + JSON.stringify((echo as Record<string, unknown>)[k]).length, 0) + 'Returns its input.'.length;
    assert.ok(JSON.stringify(echo).length - own <= 200, `${JSON.stringify(echo).length - own} bytes of overhead`);
  });
});
