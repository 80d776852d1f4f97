import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { CallToolResultSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, until, WF, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Message = { type: string; task?: { taskId: string; status: string; statusMessage?: string }; result?: { structuredContent?: Record<string, unknown>; isError?: boolean; _meta?: Record<string, unknown> }; error?: unknown };

describe('MCP tasks (experimental): a workflow tool called as a task', () => {
  it('is offered: the capability, and taskSupport "optional" on tools that start runs only', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    assert.deepEqual(h.client.getServerCapabilities()?.tasks, { cancel: {}, requests: { tools: { call: {} } } });
    const tools = (await h.client.listTools()).tools;
    assert.equal(tools.find((t) => t.name === 'local_echo')?.execution?.taskSupport, 'optional');
    assert.equal(tools.find((t) => t.name === 'run_workflow')?.execution?.taskSupport, 'optional');
    assert.equal(tools.find((t) => t.name === 'get_run')?.execution, undefined);
  });

  it('runs to the end past the wait budget, with progress and status messages, and the envelope as its result', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow }, flags: { waitSeconds: 0 } });
    const seen: Message[] = [];
    const progress: string[] = [];
    const stream = h.client.experimental.tasks.callToolStream({ name: 'local_slow', arguments: { ms: 150, steps: 3 } }, CallToolResultSchema, { task: { ttl: 60_000 }, onprogress: (p: Progress) => void progress.push(p.message ?? '') });
    for await (const m of stream) seen.push(m as Message);
    assert.equal(seen[0]!.type, 'taskCreated');
    const last = seen[seen.length - 1]!;
    assert.equal(last.type, 'result', JSON.stringify(seen));
    assert.equal(last.result!.structuredContent!['status'], 'completed', 'a task waits for the run, not for the 0 s budget');
    assert.deepEqual(last.result!.structuredContent!['output'], { steps: 3 });
    assert.ok(progress.some((m) => m.includes('step ')), progress.join('\n'));
    const task = await h.client.experimental.tasks.getTask(seen[0]!.task!.taskId);
    assert.equal(task.status, 'completed');
  });

  it('tasks/cancel cancels the run; a failing workflow ends the task failed; unknown ids and non-run tools are refused', async () => {
    h = await startHarness({ files: { 'slow.workflow.mjs': WF.slow, 'fail.workflow.mjs': WF.fail } });
    const stream = h.client.experimental.tasks.callToolStream({ name: 'local_slow', arguments: { ms: 2000, steps: 5 } }, CallToolResultSchema, { task: { ttl: 60_000 } });
    const first = (await stream.next()).value as Message;
    const taskId = first.task!.taskId;
    assert.match(taskId, /^[0-9a-f]{32}$/, 'unguessable ids');
    await until(async () => (await h!.app.deps.tracker.list({ limit: 5 })).runs.some((r) => r.status === 'running'), 5000, 'the run to start');
    const cancelled = await h.client.experimental.tasks.cancelTask(taskId);
    assert.equal(cancelled.status, 'cancelled');
    await until(async () => (await h!.app.deps.tracker.list({ limit: 5 })).runs.some((r) => r.status === 'cancelled'), 5000, 'the run cancelled');
    await stream.return?.(undefined);
    const failing: Message[] = [];
    for await (const m of h.client.experimental.tasks.callToolStream({ name: 'local_fail', arguments: {} }, CallToolResultSchema, { task: { ttl: 60_000 } })) failing.push(m as Message);
    assert.equal((await h.client.experimental.tasks.getTask(failing[0]!.task!.taskId)).status, 'failed');
    await assert.rejects(h.client.experimental.tasks.getTask('0'.repeat(32)));
    const refused: Message[] = [];
    for await (const m of h.client.experimental.tasks.callToolStream({ name: 'list_runs', arguments: {} }, CallToolResultSchema, { task: { ttl: 1000 } })) refused.push(m as Message);
    assert.equal(refused[0]!.type, 'error', JSON.stringify(refused));
  });

  it('a plain call to the same tool is unchanged', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': WF.echo } });
    const r = await h.call('local_echo', { msg: 'hi' });
    assert.deepEqual((r.structuredContent as { output: unknown }).output, { echoed: { msg: 'hi', n: 1 } });
  });
});
