import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { capOutgoing, MESSAGE_MAX_BYTES } from '../../src/mcp/guard.js';
import { startHarness, text, WF, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** Sends a tools/call with whatever params, past the client's types. */
async function rawCall(client: Harness['client'], params: unknown): Promise<CallToolResult> {
  return client.request({ method: 'tools/call', params: params as never }, CallToolResultSchema);
}

describe('hostile tool calls', () => {
  it('arguments nested 3,000 levels deep: an invalid-arguments tool result, not a JSON-RPC error, for workflow and static tools', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    for (const [name, args] of [['local_echo', { msg: nested(3000) }], ['run_workflow', { provider: 'local', workflow_id: 'echo', input: nested(3000) }], ['get_run', nested(3000)]] as const) {
      const r = await h.call(name, args as Record<string, unknown>);
      assert.equal(r.isError, true, name);
      assert.match(text(r), /Invalid arguments.*\n.*nested deeper than 64 levels/, name);
    }
    assert.equal((await h.app.deps.tracker.list({ limit: 10 })).runs.length, 0, 'no run started');
  });

  it('non-object arguments: one clear sentence, no zod dump; the session goes on', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    for (const [args, kind] of [[[1, 2], 'an array'], ['text', 'a string'], [7, 'a number'], [null, 'null']] as const) {
      await assert.rejects(rawCall(h.client, { name: 'local_echo', arguments: args }), (err: Error) => {
        assert.match(err.message, new RegExp(`"arguments" must be a JSON object of named arguments .*not ${kind}; no tool was called\\.$`));
        assert.doesNotMatch(err.message, /invalid_type|expected|\[/i);
        return true;
      });
    }
    await assert.rejects(rawCall(h.client, { name: 42 }), /"name" must be the tool's name as a string/);
    assert.equal((await h.call('local_echo', { msg: 'fine' })).isError, undefined);
  });

  it('completion/complete says there are more when there are over 100 values', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 130; i++) files[`w${i}.workflow.json`] = JSON.stringify({ name: `Wf ${String(i).padStart(3, '0')}`, version: 1, input: { type: 'object' }, command: ['true'] });
    h = await startHarness({ files });
    const ref = { type: 'ref/resource' as const, uri: 'workflows://workflows/{provider}/{workflow_id}' };
    const all = (await h.client.complete({ ref, argument: { name: 'workflow_id', value: 'wf' } })).completion;
    assert.deepEqual([all.values.length, all.total, all.hasMore], [100, 130, true]);
    const few = (await h.client.complete({ ref, argument: { name: 'workflow_id', value: 'wf-12' } })).completion;
    assert.deepEqual([few.values.length, few.total, few.hasMore], [10, 10, false]);
    const now = new Date().toISOString();
    for (let i = 0; i < 101; i++) {
      await h.app.deps.tracker.store.insert({ provider: 'local', workflowId: 'wf-000', runId: `lr_${String(i).padStart(4, '0')}`, status: 'completed', input: {}, output: null, error: null, createdAt: now, startedAt: now, endedAt: now }, null, now);
    }
    const runRef = { type: 'ref/resource' as const, uri: 'workflows://runs/{provider}/{run_id}' };
    const runs = (await h.client.complete({ ref: runRef, argument: { name: 'run_id', value: 'lr_' } })).completion;
    assert.deepEqual([runs.values.length, runs.hasMore], [100, true]);
    assert.equal(runs.total, undefined, 'no total claimed where it was not counted');
    const exact = (await h.client.complete({ ref: runRef, argument: { name: 'run_id', value: 'lr_000' } })).completion;
    assert.deepEqual([exact.values.length, exact.hasMore], [10, false]);
  });

  it('the last-resort cap: a result over 8 MB goes out as an error answer, a notification over it is not sent', () => {
    const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency', write: () => {} });
    const big = { jsonrpc: '2.0' as const, id: 3, result: { content: [{ type: 'text', text: 'x'.repeat(MESSAGE_MAX_BYTES) }] } };
    const out = capOutgoing(big, log) as { id: number; error: { message: string } };
    assert.equal(out.id, 3);
    assert.match(out.error.message, /The answer was 8\.0 MB, over the 8 MB/);
    assert.equal(capOutgoing({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'y'.repeat(MESSAGE_MAX_BYTES) } }, log), null);
    const small = { jsonrpc: '2.0' as const, id: 4, result: { content: [] } };
    assert.equal(capOutgoing(small, log), small);
    const deep = { jsonrpc: '2.0' as const, id: 5, result: nested(6000) };
    assert.match((capOutgoing(deep, log) as { error: { message: string } }).error.message, /nested too deep to send/);
  });
});
