import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult, type ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { cortexFixtures } from '../fakes/cortex/fixtures.js';
import { FakeCortex } from '../fakes/cortex/server.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { tempDir, until } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';
import { startFakeAuthServer, type FakeAuthServer } from '../helpers/jwks.js';
import { pgUnavailable } from '../helpers/pg.js';
import { dropFileDatabaseAfter, fileDatabase } from '../helpers/stores.js';

type Env = { run_id: string; provider: string; status: string; started_by?: string | null };
interface User {
  client: Client;
  transport: StreamableHTTPClientTransport;
  notes: ServerNotification[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  runs(args?: Record<string, unknown>): Promise<Env[]>;
}
const textOf = (r: CallToolResult): string => r.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
const unknownText = (provider: string, runId: string): string => `No run "${runId}" for provider "${provider}" is known to this server. Call list_runs to see recent runs.`;
const RUN_TEMPLATE = 'workflows://runs/{provider}/{run_id}';
const runUri = (e: Env): string => `workflows://runs/${e.provider}/${encodeURIComponent(e.run_id)}`;

dropFileDatabaseAfter();
let pgUrl = '';
const backends: Array<{ name: string; skip: string | false; env: () => Promise<Record<string, string>> }> = [
  { name: 'sqlite', skip: false, env: async () => ({}) },
  { name: 'postgres', skip: (await pgUnavailable()) ?? false, env: async () => ({ WORKFLOWS_MCP_DATABASE_URL: (pgUrl = await (await fileDatabase()).schemaUrl()) }) },
];

/**
 * Two users (alice, bob) and an admin share one server over Streamable HTTP with OAuth against a
 * local JWKS; local, Cortex and Looply workflows. Bob must not see or touch alice's runs by any
 * MCP method; the admin sees and acts on both, and on the platforms' own history.
 */
for (const backend of backends) describe(`scoping (${backend.name}): runs belong to the principal that started them`, { skip: backend.skip }, () => {
  let auth: FakeAuthServer;
  let cortex: FakeCortex;
  let looply: FakeLooply;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let ticker: NodeJS.Timeout;
  const users: User[] = [];

  const connect = async (sub: string, scope = 'workflows'): Promise<User> => {
    const token = await auth.token(server.url, { sub, scope });
    const client = new Client({ name: `scoping-${sub}`, version: '1' });
    const notes: ServerNotification[] = [];
    client.fallbackNotificationHandler = async (n) => void notes.push(n as ServerNotification);
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
    const user: User = { client, transport, notes, call, runs: async (args = {}) => ((await call('list_runs', { limit: 100, ...args })).structuredContent as { runs: Env[] }).runs };
    users.push(user);
    return user;
  };

  before(async () => {
    auth = await startFakeAuthServer();
    cortex = await new FakeCortex().start();
    cortex.workflows.push(...cortexFixtures());
    looply = await new FakeLooply().start();
    looply.workflows.push({ workflow_id: 'wf-approve', workflow_name: 'Approve Invoice', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_mock_payload: { invoice: 'INV-1' }, states: ['start', 'wait_for_response_state', 'end'], output: { booked: true } });
    ticker = setInterval(() => looply.advance(1), 150);
    const dir = tempDir();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ http: { oauth: { authorizationServers: [auth.issuer], jwksUrl: auth.jwksUrl, scopes: ['workflows'] } } }));
    server = await startHttpServer(['--config', join(dir, 'c.json'), '--wait-seconds', '0'], {
      CORTEX_API_KEY: cortex.key, CORTEX_BASE_URL: cortex.url, LOOPLY_API_KEY: looply.key, LOOPLY_BASE_URL: looply.url, ...(await backend.env()),
    });
  });
  after(async () => {
    clearInterval(ticker);
    for (const u of users) await u.client.close().catch(() => {});
    await stopServer(server.child);
    await Promise.all([auth.close(), cortex.close(), looply.close()]);
  });

  it("alice's runs are invisible to bob through every tool, resource, completion, subscription and task; the admin sees both", { timeout: 90_000 }, async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const admin = await connect('root', 'workflows workflows:admin');
    const batchRuns = 'workflows://workflows/local/batch-process/runs';
    for (const u of [alice, bob, admin]) await u.client.subscribeResource({ uri: batchRuns });

    // Alice: a long local run, a Cortex run, a Looply run that waits for a person, and a task.
    const long = (await alice.call('local_batch_process', { items: 40, seconds_per_item: 1 })).structuredContent as Env;
    const sum = (await alice.call('cortex_summarize_document', { text: 'x' })).structuredContent as Env;
    const approve = (await alice.call('looply_approve_invoice', { invoice: 'INV-9' })).structuredContent as Env;
    const stream = alice.client.experimental.tasks.callToolStream({ name: 'local_batch_process', arguments: { items: 40, seconds_per_item: 1 } }, CallToolResultSchema, { task: { ttl: 60_000 } });
    const created = (await stream.next()).value as { type: string; task: { taskId: string } };
    assert.equal(created.type, 'taskCreated');
    const taskId = created.task.taskId;
    const aliceIds = [long.run_id, sum.run_id, approve.run_id];
    await alice.client.subscribeResource({ uri: runUri(long) });
    await bob.client.subscribeResource({ uri: runUri(long) });
    await until(() => alice.notes.some((n) => n.method === 'notifications/resources/updated' && n.params.uri === runUri(long)), 10_000, "alice to hear of her run's progress");
    const looplyRun = async () => (await alice.call('get_run', { provider: 'looply', run_id: approve.run_id })).structuredContent as Env;
    for (let i = 0; i < 100 && (await looplyRun()).status !== 'waiting'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await looplyRun()).status, 'waiting');

    // Alice sees her own runs everywhere, recorded as hers.
    const mine = await alice.runs();
    assert.deepEqual(aliceIds.filter((id) => !mine.some((r) => r.run_id === id)), []);
    assert.ok(mine.every((r) => r.started_by === `${auth.issuer}#alice`), JSON.stringify(mine));
    const aliceRes = JSON.parse(((await alice.client.readResource({ uri: runUri(long) })).contents[0] as { text: string }).text);
    assert.equal(aliceRes.started_by, `${auth.issuer}#alice`);

    // Bob, tool by tool: each of alice's runs reads exactly like a run that does not exist.
    const cases: Array<[string, Record<string, unknown>, Env]> = [
      ['get_run', {}, long], ['wait_for_run', { timeout_seconds: 1 }, long], ['cancel_run', {}, long],
      ['resume_run', { payload: { ok: true } }, approve],
      ['replay_run', { step_key: 'summarize' }, sum], ['replay_run', { step_key: 'summarize', workflow_id: 'wf_sum' }, sum],
      ['set_run_retention', { days: 1 }, sum], ['set_run_retention', { days: 1, workflow_id: 'wf_sum' }, sum],
    ];
    for (const [tool, extra, run] of cases) {
      const r = await bob.call(tool, { provider: run.provider, run_id: run.run_id, ...extra });
      assert.equal(r.isError, true, `${tool} on alice's run`);
      assert.equal(textOf(r), unknownText(run.provider, run.run_id), `${tool}: as for an unknown run`);
      const none = await bob.call(tool, { provider: run.provider, run_id: 'no-such-run', ...extra });
      assert.equal(textOf(none), unknownText(run.provider, 'no-such-run'));
    }
    assert.deepEqual([cortex.replays, cortex.calls['retention'], cortex.calls['cancel'], looply.calls['POST resumeWorkflow'], looply.calls['POST terminateWorkflow']], [[], undefined, undefined, undefined, undefined], 'bob reached no platform');
    assert.equal((await looplyRun()).status, 'waiting', "alice's Looply run still waits");
    const stillRunning = JSON.parse(((await alice.client.readResource({ uri: runUri(long) })).contents[0] as { text: string }).text);
    assert.equal(stillRunning.status, 'running', "bob's cancel_run changed nothing");
    assert.equal(stillRunning.cancel_requested, false);

    // list_runs (with and without filters; Looply and Cortex history are for admins), resources, completion.
    // A run started elsewhere, at the platform itself:
    const { LooplyClient } = await import('../../src/providers/looply/client.js');
    const elsewhere = await new LooplyClient({ apiKey: looply.key, baseUrl: looply.url }).trigger('wf-approve', 1, { invoice: 'X' });
    const elsewhereId = elsewhere.looply_execution_id;
    for (const args of [{}, { provider: 'local' }, { provider: 'looply' }, { provider: 'looply', workflow_id: 'wf-approve' }, { provider: 'cortex', workflow_id: 'wf_sum' }, { status: 'running' }]) {
      const seen = (await bob.runs(args)).map((r) => r.run_id);
      assert.deepEqual(seen, [], `bob's list_runs ${JSON.stringify(args)}: ${seen.join(' ')}`);
    }
    const listed = (await bob.client.listResources()).resources.map((r) => r.uri);
    assert.ok(!listed.some((u) => u.startsWith('workflows://runs/')), listed.join(' '));
    for (const uri of [runUri(long), runUri(sum), runUri(approve), 'workflows://runs/local/no-such-run']) {
      await assert.rejects(bob.client.readResource({ uri }), (err: { code?: number; message?: string }) => err.code === -32002 && /Resource not found/.test(err.message ?? ''), uri);
    }
    const history = JSON.parse(((await bob.client.readResource({ uri: batchRuns })).contents[0] as { text: string }).text);
    assert.deepEqual(history.runs, []);
    const looplyHistory = JSON.parse(((await bob.client.readResource({ uri: 'workflows://workflows/looply/wf-approve/runs' })).contents[0] as { text: string }).text);
    assert.deepEqual(looplyHistory.runs, [], 'no platform history for bob either');
    const completion = await bob.client.complete({ ref: { type: 'ref/resource', uri: RUN_TEMPLATE }, argument: { name: 'run_id', value: '' } });
    assert.deepEqual(completion.completion.values, []);
    const aliceCompletion = await alice.client.complete({ ref: { type: 'ref/resource', uri: RUN_TEMPLATE }, argument: { name: 'run_id', value: '' } });
    assert.deepEqual(aliceIds.filter((id) => !aliceCompletion.completion.values.includes(id)), []);

    // Tasks: bob cannot read or cancel alice's task; it reads like an unknown one.
    const unknownTask = await bob.client.experimental.tasks.getTask('0'.repeat(32)).then(() => 'found', (e: Error) => e.message);
    const aliceTask = await bob.client.experimental.tasks.getTask(taskId).then(() => 'found', (e: Error) => e.message);
    assert.equal(aliceTask, unknownTask.replace('0'.repeat(32), taskId));
    await assert.rejects(bob.client.experimental.tasks.cancelTask(taskId));
    assert.equal((await alice.client.experimental.tasks.getTask(taskId)).status, 'working');

    // Alice's session id with bob's token: 404, as for no session.
    const stolen = await fetch(server.url, {
      method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': alice.transport.sessionId!, authorization: `Bearer ${await auth.token(server.url, { sub: 'bob' })}` },
    });
    assert.equal(stolen.status, 404);

    // Bob's own run: he hears of it (the subscription works), and only of it.
    const bobs = (await bob.call('local_batch_process', { items: 1, seconds_per_item: 0.2 })).structuredContent as Env;
    await until(() => bob.notes.some((n) => n.method === 'notifications/resources/updated' && n.params.uri === batchRuns), 10_000, 'bob to hear of his own run');
    assert.deepEqual((await bob.runs()).map((r) => r.run_id), [bobs.run_id]);
    assert.ok(!bob.notes.some((n) => n.method === 'notifications/resources/updated' && n.params.uri === runUri(long)), "no update of alice's run reached bob");
    assert.ok(!bob.notes.some((n) => n.method === 'notifications/message'), 'the server log (which names every run) goes to admins only');
    const bobText = JSON.stringify(bob.notes);
    assert.deepEqual(aliceIds.filter((id) => bobText.includes(id)), [], "no notification to bob names alice's runs");

    // The admin sees both, and the platforms' own history; and acts on alice's run.
    const all = (await admin.runs()).map((r) => r.run_id);
    assert.deepEqual([...aliceIds, bobs.run_id].filter((id) => !all.includes(id)), []);
    assert.ok((await admin.runs({ provider: 'looply' })).some((r) => r.run_id === elsewhereId), `admin sees the run started at Looply itself (${elsewhereId})`);
    assert.ok(!(await alice.runs({ provider: 'looply' })).some((r) => r.run_id === elsewhereId), 'alice does not');
    const adminCompletion = await admin.client.complete({ ref: { type: 'ref/resource', uri: RUN_TEMPLATE }, argument: { name: 'run_id', value: '' } });
    assert.ok(adminCompletion.completion.values.includes(bobs.run_id) && adminCompletion.completion.values.includes(long.run_id));
    const cancelled = await admin.call('cancel_run', { provider: 'local', run_id: long.run_id });
    assert.equal((cancelled.structuredContent as Env).status, 'cancelled', textOf(cancelled));
    await alice.client.experimental.tasks.cancelTask(taskId);
    await stream.return?.(undefined);
    if (backend.name === 'postgres') {
      const db = new pg.Client({ connectionString: pgUrl });
      await db.connect();
      const rows = (await db.query('SELECT run_id, started_by FROM runs')).rows as Array<{ run_id: string; started_by: string | null }>;
      await db.end();
      assert.equal(rows.find((r) => r.run_id === long.run_id)?.started_by, `${auth.issuer}#alice`, 'the PostgreSQL journal recorded who started it');
      assert.equal(rows.find((r) => r.run_id === bobs.run_id)?.started_by, `${auth.issuer}#bob`);
    }
  });
});
