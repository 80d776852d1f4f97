import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { tempDir, WF, writeFiles } from '../helpers/harness.js';
import { killHard, startHttpServer, stopReplicas } from '../helpers/http.js';
import { advancing } from '../helpers/looply.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

const skip = await pgUnavailable();

interface SseEvent {
  id: string | undefined;
  data: Record<string, unknown> | null;
}

/** Reads SSE events off a response body until `enough` says stop (or the stream ends). */
async function readEvents(res: Response, enough: (events: SseEvent[]) => boolean, timeoutMs: number): Promise<SseEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let text = '';
  const timer = setTimeout(() => void reader.cancel().catch(() => {}), timeoutMs);
  try {
    while (!enough(events)) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      for (let cut = text.indexOf('\n\n'); cut >= 0; cut = text.indexOf('\n\n')) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        const id = /^id: ?(.*)$/m.exec(block)?.[1];
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        if (id !== undefined || data) events.push({ id, data: data ? (JSON.parse(data) as Record<string, unknown>) : null });
      }
    }
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => {});
  }
  return events;
}

const answerTo = (id: number) => (events: SseEvent[]) => events.some((e) => e.data?.['id'] === id && 'result' in e.data);

const HEADERS = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };

/** A raw client's stateful session, opened on `url`: the headers of its requests. */
async function openSession(url: string): Promise<Record<string, string>> {
  const init = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) });
  const session = init.headers.get('mcp-session-id');
  assert.ok(session, 'a stateful session');
  await init.text();
  const inSession = { ...HEADERS, 'mcp-session-id': session };
  await (await fetch(url, { method: 'POST', headers: inSession, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  return inSession;
}

/** A tools/call with progress asked, read up to its first progress (its run started, it waits): the last event id and that progress. */
async function callUntilProgress(url: string, headers: Record<string, string>, id: number, name: string, args: Record<string, unknown>): Promise<{ last: string; progress: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: { progressToken: `p${id}` } } }) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const seen = await readEvents(res, (events) => events.some((e) => e.data?.['method'] === 'notifications/progress'), 20_000);
  const last = seen.filter((e) => e.id).at(-1)?.id;
  assert.ok(last, `the call's stream carried event ids: ${JSON.stringify(seen)}`);
  assert.ok(!answerTo(id)(seen), 'not answered yet');
  return { last, progress: seen.find((e) => e.data?.['method'] === 'notifications/progress')!.data!['params'] as Record<string, unknown> };
}

/** The structured result of call `id` among a stream's events. */
function resultOf(events: SseEvent[], id: number): Record<string, unknown> {
  const answer = events.find((e) => e.data?.['id'] === id && 'result' in e.data);
  assert.ok(answer, `call ${id} answered on the resumed stream: ${JSON.stringify(events).slice(0, 800)}`);
  return (answer.data!['result'] as { structuredContent: Record<string, unknown> }).structuredContent;
}

/**
 * A tools/call in flight on a replica that is killed (SIGKILL): the replica that adopts its run
 * answers it into the session's stored events, and the client resuming the call's SSE stream on
 * another replica (GET with Last-Event-ID, as the SDK client does) receives the answer.
 */
describe('a call in flight on a replica that dies', { skip: skip ?? false }, () => {
  let db: TestDatabase;
  let fake: FakeLooply;
  let workflows: string;
  let configFile: string;
  before(async () => {
    db = await createTestDatabase();
    fake = await new FakeLooply().start();
    fake.workflows.push({ workflow_id: 'wf-steps', workflow_name: 'Steps', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object' }, states: ['start', 'one', 'two', 'end'], output: { done: 1 } });
    const dir = tempDir();
    workflows = join(dir, 'workflows');
    writeFiles(workflows, { 'slow.workflow.mjs': WF.slow });
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ state: { leaseSeconds: 2 }, runs: { waitSeconds: 120 } }));
  });
  after(async () => {
    await fake?.close();
    await db?.drop();
  });

  const replica = () => startHttpServer(['--config', configFile], { WORKFLOWS_MCP_DATABASE_URL: db.url, LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url }, workflows);

  it('is answered through the replica that adopts its run: the Looply output to a resumed stream; a local run fails saying why; one trigger', { timeout: 90_000 }, async () => {
    const a = await replica();
    const b = await replica();
    try {
      const inSession = await openSession(a.url);
      const triggers = fake.triggers.length;
      const looplyLast = (await callUntilProgress(a.url, inSession, 1, 'looply_steps', { n: 1 })).last;
      const localLast = (await callUntilProgress(a.url, inSession, 2, 'local_slow', { ms: 30_000, steps: 3 })).last;
      assert.equal(fake.triggers.length, triggers + 1);
      await new Promise((r) => setTimeout(r, 300)); // the calls' links are written after their first progress
      await killHard(a.child);

      const resume = (last: string) => fetch(b.url, { headers: { ...inSession, accept: 'text/event-stream', 'last-event-id': last } });
      const looplyStream = await resume(looplyLast);
      assert.equal(looplyStream.status, 200);
      const localStream = await resume(localLast);
      assert.equal(localStream.status, 200);
      const [looplyEvents, localEvents] = await advancing(fake, () => Promise.all([readEvents(looplyStream, answerTo(1), 60_000), readEvents(localStream, answerTo(2), 60_000)]));
      const looply = resultOf(looplyEvents, 1);
      assert.equal(looply['status'], 'completed');
      assert.deepEqual(looply['output'], { done: 1 });
      const local = resultOf(localEvents, 2);
      assert.equal(local['status'], 'failed');
      assert.match(String(local['error']), /server stopped while the run was in progress/);
      assert.equal(fake.triggers.length, triggers + 1, 'exactly one trigger: the run was followed, not started again');
      // Taken over by the run's adoption, or first by the sweep of the dead replica's calls (its
      // lease lapsed): which one comes first is timing; both answer the calls when their runs end.
      assert.match(b.stderr(), /took over [12] call\(s\) in flight/);
    } finally {
      await stopReplicas(a, b);
    }
  });
  it("wait_for_run in flight on a replica that dies, for a run another replica owns: answered through a live replica when that run ends", { timeout: 90_000 }, async () => {
    const a = await replica();
    const b = await replica();
    try {
      const onB = await openSession(b.url);
      const started = await callUntilProgress(b.url, onB, 1, 'looply_steps', { n: 'owned by B' });
      const runId = (started.progress['_meta'] as Record<string, unknown>)['run_id'] as string;
      assert.ok(runId, 'the progress names the run');
      const triggers = fake.triggers.length;
      const onA = await openSession(a.url);
      const waiting = await callUntilProgress(a.url, onA, 7, 'wait_for_run', { provider: 'looply', run_id: runId, timeout_seconds: 60 });
      await new Promise((r) => setTimeout(r, 300));
      await killHard(a.child);
      const resumed = await fetch(b.url, { headers: { ...onA, accept: 'text/event-stream', 'last-event-id': waiting.last } });
      assert.equal(resumed.status, 200);
      const events = await advancing(fake, () => readEvents(resumed, answerTo(7), 60_000));
      const waited = resultOf(events, 7);
      assert.equal(waited['status'], 'completed');
      assert.deepEqual(waited['output'], { done: 1 });
      assert.equal(fake.triggers.length, triggers, 'nothing started again');
      assert.match(b.stderr(), /took over 1 call\(s\) in flight on a stopped server, waiting on runs it did not own/);
    } finally {
      await stopReplicas(a, b);
    }
  });
  it('an SDK client whose call was in flight on the killed replica gets its result by resuming on another (the balancer\'s view)', { timeout: 90_000 }, async () => {
    const a = await replica();
    const b = await replica();
    let target = a.url;
    const client = new Client({ name: 'sdk', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(a.url), { fetch: (_url, init) => fetch(target, init) }));
    try {
      const triggers = fake.triggers.length;
      let progressed!: () => void;
      const firstProgress = new Promise<void>((r) => (progressed = r));
      const call = client.callTool({ name: 'looply_steps', arguments: { n: 'sdk' } }, undefined, { timeout: 60_000, onprogress: () => progressed() }) as Promise<CallToolResult>;
      await firstProgress;
      await new Promise((r) => setTimeout(r, 300));
      target = b.url;
      await killHard(a.child);
      const result = await advancing(fake, () => call);
      assert.equal(result.structuredContent?.['status'], 'completed');
      assert.deepEqual(result.structuredContent?.['output'], { done: 1 });
      assert.equal(fake.triggers.length, triggers + 1, 'exactly one trigger');
    } finally {
      await client.close().catch(() => {});
      await stopReplicas(a, b);
    }
  });
});
