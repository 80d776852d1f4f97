import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { serveHttp, type HttpHandle } from '../../src/serve/http.js';
import { startHarness, until, type Harness } from '../helpers/harness.js';
import { stateBackends } from '../helpers/state.js';

const SLOW = `export default { name: 'Three Steps', input: { type: 'object' },
  async run(input, ctx) { for (let i = 1; i <= 3; i++) { ctx.progress('step ' + i, i / 3); await new Promise((r) => setTimeout(r, 300)); } return { done: true }; } };`;
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

/** Two servers ("replicas") over one session store, in this process. */
for (const backend of await stateBackends()) {
  describe(`HTTP sessions shared by two replicas (${backend.name})`, { skip: backend.skip }, () => {
    const replicas: Array<{ h: Harness; http: HttpHandle }> = [];
    before(async () => {
      for (let i = 0; i < 2; i++) {
        const h = await startHarness({ files: { 'slow.workflow.mjs': SLOW }, flags: { httpPort: 0 } });
        const state = await backend.open();
        h.app.sessions = state.sessions;
        h.app.deps.tasks = state.tasks;
        replicas.push({ h, http: await serveHttp(h.app) });
      }
    });
    after(async () => {
      for (const r of replicas) await r.http.close();
      for (const r of replicas) await r.h.close();
      await backend.drop();
    });
    const url = (i: number): string => replicas[i % replicas.length]!.http.url;
    const healthz = async (i: number): Promise<{ sessions: number }> => (await fetch(new URL('/healthz', url(i)))).json() as Promise<{ sessions: number }>;

    it('a client whose every request goes to the other replica than the last (round robin) lists, calls and ends its session', async () => {
      let n = 0;
      const roundRobin = (_: string | URL, init?: RequestInit): Promise<Response> => fetch(url(n++), init);
      const client = new Client({ name: 'rr', version: '1' });
      const transport = new StreamableHTTPClientTransport(new URL(url(0)), { fetch: roundRobin });
      await client.connect(transport);
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'local_three_steps'));
      const progress: string[] = [];
      const result = (await client.callTool({ name: 'local_three_steps', arguments: {} }, undefined, { onprogress: (p) => void progress.push(p.message ?? '') })) as CallToolResult;
      assert.equal((result.structuredContent as { status: string }).status, 'completed');
      assert.ok(progress.length > 0, 'progress reached the client');
      assert.deepEqual([(await healthz(0)).sessions, (await healthz(1)).sessions], [1, 1], 'each replica serves the session');
      const sid = transport.sessionId!;
      await transport.terminateSession();
      // The replica that did not get the DELETE hears of it by a signal, a moment later.
      const ended = async (): Promise<boolean> => (await healthz(0)).sessions === 0 && (await healthz(1)).sessions === 0;
      await until(ended, 5000, 'DELETE to end the session on both replicas');
      const gone = await fetch(url(1), { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sid }, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }) });
      assert.equal(gone.status, 404);
      await client.close();
    });

    it('a call that loses its stream on one replica is resumed on the other with Last-Event-ID: the missed progress, then the result', async () => {
      const init = await fetch(url(0), { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
      await init.text();
      const headers = { ...HEADERS, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
      await (await fetch(url(1), { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
      const drop = new AbortController();
      const call = await fetch(url(0), { method: 'POST', headers, signal: drop.signal, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'local_three_steps', arguments: {}, _meta: { progressToken: 'p' } } }) });
      const reader = call.body!.getReader();
      let seen = '';
      while (!/id: \S+/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
      drop.abort();
      const again = await fetch(url(1), { method: 'GET', headers: { ...headers, 'last-event-id': /id: (\S+)/.exec(seen)![1]! } });
      assert.equal(again.status, 200);
      const text = await again.text(); // the stream ends with the call's answer
      assert.match(text, /notifications\/progress/);
      assert.match(text, /"id":7/);
      assert.match(text, /"status":"completed"/);
      const stranger = await fetch(url(1), { method: 'GET', headers: { ...headers, 'last-event-id': '999999999' } });
      assert.equal(stranger.status, 400, 'an event id that is not this session\'s is refused');
      await stranger.text();
    });

    it('a task started through one replica is read, waited for and cancelled through the other', async () => {
      let n = 0;
      const client = new Client({ name: 'rr-tasks', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url(0)), { fetch: (_: string | URL, init?: RequestInit) => fetch(url(n++), init) }));
      const kinds: string[] = [];
      let result: CallToolResult | undefined;
      for await (const m of client.experimental.tasks.callToolStream({ name: 'local_three_steps', arguments: {} }, CallToolResultSchema, { task: { ttl: 60_000 } })) {
        kinds.push(m.type);
        if (m.type === 'result') result = m.result as CallToolResult;
      }
      assert.equal(kinds[0], 'taskCreated');
      assert.equal((result?.structuredContent as { status: string }).status, 'completed', kinds.join(','));
      const stream = client.experimental.tasks.callToolStream({ name: 'local_three_steps', arguments: {} }, CallToolResultSchema, { task: { ttl: 60_000 } });
      const first = (await stream.next()).value as { task: { taskId: string } };
      const cancelled = await client.experimental.tasks.cancelTask(first.task.taskId);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal((await client.experimental.tasks.getTask(first.task.taskId)).status, 'cancelled', 'read back through the other replica');
      const runsCancelled = async (): Promise<boolean> => {
        for (const r of replicas) if ((await r.h.app.deps.tracker.list({ limit: 1 })).runs.some((run) => run.status === 'cancelled')) return true;
        return false;
      };
      await until(runsCancelled, 5000, 'the run to be cancelled by the replica running it');
      await stream.return?.(undefined);
      await client.close();
    });
  });
}
