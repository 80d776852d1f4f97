import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { cortexFixtures } from '../fakes/cortex/fixtures.js';
import { FakeCortex } from '../fakes/cortex/server.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { tempDir, until, WF, writeFiles } from '../helpers/harness.js';
import { killHard, startHttpServer, stopReplicas, stopServer } from '../helpers/http.js';
import { advancing } from '../helpers/looply.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

const skip = await pgUnavailable();

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'replica-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
  if (!r.structuredContent) throw new Error(JSON.stringify(r.content));
  return r.structuredContent;
}

/** Run ownership across real replicas (the built bin over HTTP) sharing one PostgreSQL database, against the Looply and Cortex fakes. */
describe('replicas sharing PostgreSQL', { skip: skip ?? false }, () => {
  let db: TestDatabase;
  let fake: FakeLooply;
  let cortex: FakeCortex;
  let workflows: string;
  let configFile: string;
  before(async () => {
    db = await createTestDatabase();
    fake = await new FakeLooply().start();
    cortex = await new FakeCortex().start();
    cortex.workflows.push(...cortexFixtures());
    fake.workflows.push({ workflow_id: 'wf-steps', workflow_name: 'Steps', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object' }, states: ['start', 'one', 'two', 'end'], output: { done: 1 } });
    const dir = tempDir();
    workflows = join(dir, 'workflows');
    writeFiles(workflows, { 'slow.workflow.mjs': WF.slow });
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ state: { leaseSeconds: 2 }, runs: { waitSeconds: 0 } }));
  });
  after(async () => {
    await fake?.close();
    await cortex?.close();
    await db?.drop();
  });

  const replica = () => startHttpServer(['--config', configFile], { WORKFLOWS_MCP_DATABASE_URL: db.url, LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url, CORTEX_API_KEY: cortex.key, CORTEX_APP_ID: cortex.appId, CORTEX_BASE_URL: cortex.url }, workflows);

  it('kill -9 of the replica owning 50 runs (25 Looply, 25 Cortex streaming): another replica adopts and ends every one; exactly 50 starts', { timeout: 120_000 }, async () => {
    const a = await replica();
    const b = await replica();
    try {
      const ca = await connect(a.url);
      cortex.knobs.stepMs = 1500; // a Cortex run takes ~15 s: still streaming to A when A dies
      const runs: Array<{ provider: string; id: string }> = [];
      for (let i = 0; i < 25; i++) {
        runs.push({ provider: 'looply', id: (await call(ca, 'looply_steps', { n: i }))['run_id'] as string });
        runs.push({ provider: 'cortex', id: (await call(ca, 'cortex_summarize_document', { text: `doc ${i}` }))['run_id'] as string });
      }
      assert.equal(fake.triggers.length, 25);
      assert.equal(cortex.starts.length, 25);
      const cb = await connect(b.url);
      const seen = await call(cb, 'list_runs', { limit: 100 });
      assert.equal((seen['runs'] as unknown[]).length, 50, 'B sees every run A started');
      await killHard(a.child);
      await advancing(fake, () => until(async () => {
        const page = await call(cb, 'list_runs', { limit: 100, status: 'completed' });
        return (page['runs'] as unknown[]).length === 50;
      }, 90_000, 'every run completed through B'));
      for (const r of runs.slice(0, 4)) assert.deepEqual((await call(cb, 'get_run', { provider: r.provider, run_id: r.id }))['output'], r.provider === 'looply' ? { done: 1 } : { summary: 'short' });
      assert.equal(fake.triggers.length, 25, 'zero second starts (Looply)');
      assert.equal(fake.calls['POST triggerworkflow'], 25);
      assert.equal(cortex.starts.length, 25, 'zero second starts (Cortex)');
      assert.deepEqual(cortex.unexpected, []);
      assert.match(b.stderr(), /run looply\/\S+ adopted from/);
      assert.match(b.stderr(), /run cortex\/\S+ adopted from/, 'Cortex runs were still in flight when A died');
      await cb.close();
    } finally {
      await stopReplicas(a, b);
    }
  });

  it("kill -9 of the replica running MCP tasks: B finishes the platform run's task with its result, and fails the local run's task saying why", { timeout: 90_000 }, async () => {
    const a = await replica();
    const b = await replica();
    // One session, served by A, then (A dead) by B: the balancer's view.
    let target = a.url;
    const client = new Client({ name: 'tasks', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(a.url), { fetch: (_url, init) => fetch(target, init) }));
    const db2 = new pg.Client({ connectionString: db.url });
    await db2.connect();
    try {
      const triggers = fake.triggers.length;
      const task = async (name: string, args: Record<string, unknown>): Promise<string> =>
        (await client.request({ method: 'tools/call', params: { name, arguments: args, task: { ttl: 120_000 } } }, CreateTaskResultSchema)).task.taskId;
      const looplyTask = await task('looply_steps', { n: 'task' });
      const localTask = await task('local_slow', { ms: 20_000, steps: 3 });
      const linked = async (): Promise<number> => Number((await db2.query(`SELECT count(*) AS n FROM mcp_tasks WHERE task_id = ANY($1) AND run_id IS NOT NULL`, [[looplyTask, localTask]])).rows[0].n);
      await until(async () => (await linked()) === 2, 10_000, 'both tasks to have started their runs');
      assert.equal((await client.experimental.tasks.getTask(looplyTask)).status, 'working');
      await killHard(a.child);
      target = b.url;
      const ended = async (id: string): Promise<boolean> => ['completed', 'failed'].includes((await client.experimental.tasks.getTask(id)).status);
      await advancing(fake, () => until(async () => (await ended(looplyTask)) && (await ended(localTask)), 60_000, 'both tasks to end through B'));
      assert.equal((await client.experimental.tasks.getTask(looplyTask)).status, 'completed');
      const done = await client.experimental.tasks.getTaskResult(looplyTask, CallToolResultSchema);
      assert.equal(done.structuredContent?.['status'], 'completed');
      assert.deepEqual(done.structuredContent?.['output'], { done: 1 });
      assert.equal((await client.experimental.tasks.getTask(localTask)).status, 'failed');
      const failed = await client.experimental.tasks.getTaskResult(localTask, CallToolResultSchema);
      assert.equal(failed.structuredContent?.['status'], 'failed');
      assert.match(String(failed.structuredContent?.['error']), /server stopped while the run was in progress/);
      assert.equal(fake.triggers.length, triggers + 1, 'the task\'s run was not started again');
      assert.match(b.stderr(), /took over 1 MCP task/);
    } finally {
      await db2.end();
      await client.close().catch(() => {});
      await stopReplicas(a, b);
    }
  });

  it('a cancel sent to B reaches the run A owns at once; wait_for_run on B sees A\'s run end', { timeout: 60_000 }, async () => {
    const a = await replica();
    const b = await replica();
    try {
      const health = (await (await fetch(new URL('/healthz', b.url))).json()) as Record<string, unknown>;
      assert.equal(health['database'], 'ok', '/healthz says the database answers and LISTEN is up');
      const ca = await connect(a.url);
      const cb = await connect(b.url);
      const slow = await call(ca, 'local_slow', { ms: 20_000, steps: 3 });
      const cancelled = await call(cb, 'cancel_run', { provider: 'local', run_id: slow['run_id'] });
      assert.equal(cancelled['status'], 'cancelled', 'A stopped it within the cancel grace, not on a timer');
      const quick = await call(ca, 'local_slow', { ms: 300, steps: 2 });
      const waited = await call(cb, 'wait_for_run', { provider: 'local', run_id: quick['run_id'], timeout_seconds: 30 });
      assert.equal(waited['status'], 'completed');
      assert.deepEqual(waited['output'], { steps: 2 });
      await ca.close();
      await cb.close();
    } finally {
      await stopServer(a.child);
      await stopServer(b.child);
    }
  });
});
