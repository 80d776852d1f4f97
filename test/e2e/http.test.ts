import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BIN, tempDir, until, writeFiles } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';

const TOKEN = 'a-long-test-token-0123456789';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A raw session: initialize + initialized, for tests that need the wire itself. */
async function rawSession(url: string): Promise<Record<string, string>> {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
  await res.text();
  const headers = { ...HEADERS, 'mcp-session-id': res.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
  await (await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  return headers;
}

describe('Streamable HTTP', () => {
  it('requires the bearer token when one is set; rejects bad Host and Origin; nothing runs', async () => {
    const s = await startHttpServer([], { WORKFLOWS_MCP_TOKEN: TOKEN });
    try {
      const none = await fetch(s.url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate')!, /^Bearer/);
      const wrong = await fetch(s.url, { method: 'POST', headers: { ...HEADERS, authorization: 'Bearer nope' }, body: JSON.stringify(INIT) });
      assert.equal(wrong.status, 401);
      const origin = await fetch(s.url, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example.com' }, body: JSON.stringify(INIT) });
      assert.equal(origin.status, 403);
      assert.equal(await statusWithHost(s.url, 'evil.example.com'), 403);
      assert.equal(await statusWithHost(s.url, `localhost:${new URL(s.url).port}`), 401, 'a loopback Host passes the Host check');
      const client = await connect(s.url, { authorization: `Bearer ${TOKEN}` });
      const runs = (await client.callTool({ name: 'list_runs', arguments: {} })) as CallToolResult;
      assert.deepEqual((runs.structuredContent as { runs: unknown[] }).runs, [], 'no rejected request started a run');
      const r = (await client.callTool({ name: 'local_invoice_total', arguments: { lines: [{ qty: 1, price: 2 }] } })) as CallToolResult;
      assert.equal((r.structuredContent as { status: string }).status, 'completed');
      await client.close();
      assert.ok(!s.stderr().includes(TOKEN), 'the token never appears in the log');
    } finally {
      await stopServer(s.child);
    }
  });

  it('refuses to bind beyond loopback without a token', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--http', '--host', '0.0.0.0', '--port', '0', '--state-dir', join(tempDir(), 's')], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: tempDir() } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /http\.token: binding to 0\.0\.0\.0 .* needs a token/);
  });

  it('caps bodies (413), limits concurrency per client (429), and serves /healthz and the resource metadata', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ http: { maxBodyBytes: 2000, maxConcurrentPerClient: 2, oauth: { authorizationServers: ['https://auth.example.com'], jwksUrl: 'https://auth.example.com/jwks', scopes: ['workflows'] } } }));
    const s = await startHttpServer(['--config', join(dir, 'c.json')], { WORKFLOWS_MCP_TOKEN: TOKEN });
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const big = await fetch(s.url, { method: 'POST', headers: { ...HEADERS, ...auth }, body: JSON.stringify({ ...INIT, pad: 'x'.repeat(5000) }) });
      assert.equal(big.status, 413);
      const unauth = await fetch(s.url, { method: 'POST', headers: HEADERS, body: '{}' });
      assert.match(unauth.headers.get('www-authenticate')!, /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
      const prm = await (await fetch(new URL('/.well-known/oauth-protected-resource/mcp', s.url))).json() as Record<string, unknown>;
      assert.deepEqual(prm['authorization_servers'], ['https://auth.example.com']);
      assert.equal(prm['resource'], s.url);
      const health = await (await fetch(new URL('/healthz', s.url))).json() as Record<string, unknown>;
      assert.equal(health['status'], 'ok');
      const h = { ...(await rawSessionWith(s.url, auth)), ...auth };
      const slow = (id: number) => fetch(s.url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'local_batch_process', arguments: { items: 1, seconds_per_item: 1 } } }) });
      const [a, b] = [await slow(10), await slow(11)];
      const c = await slow(12);
      assert.equal(c.status, 429);
      assert.equal(c.headers.get('retry-after'), '1');
      await Promise.all([a.text(), b.text()]);
    } finally {
      await stopServer(s.child);
    }
  });

  it('with http.oauth, accepts access tokens signed by the authorization server for this resource, with the scopes', async () => {
    const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    const dir = tempDir();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ http: { oauth: { authorizationServers: [issuer], jwksUrl: `${issuer}/jwks`, scopes: ['workflows'] } } }));
    const s = await startHttpServer(['--config', join(dir, 'c.json')]);
    const sign = (claims: Record<string, unknown>, exp: string | number = '5m') =>
      new SignJWT({ scope: 'workflows read', ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience((claims['aud'] as string) ?? s.url).setSubject('agent-1').setIssuedAt().setExpirationTime(exp).sign(privateKey);
    const init = (token: string) => fetch(s.url, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(INIT) });
    try {
      const good = await init(await sign({}));
      assert.equal(good.status, 200);
      await good.text();
      const wrongAud = await init(await sign({ aud: 'https://other.example.com/mcp' }));
      assert.equal(wrongAud.status, 401);
      assert.match(wrongAud.headers.get("www-authenticate")!, /resource_metadata=.*error="invalid_token"/);
      const noScope = await init(await sign({ scope: 'read' }));
      assert.equal(noScope.status, 403);
      assert.match(noScope.headers.get('www-authenticate')!, /error="insufficient_scope".*scope="workflows"/);
      const expired = await init(await sign({}, Math.floor(Date.now() / 1000) - 60));
      assert.equal(expired.status, 401);
      assert.equal((await init('not-a-jwt')).status, 401);
      const client = await connect(s.url, { authorization: `Bearer ${await sign({})}` });
      assert.ok((await client.listTools()).tools.length > 0);
      await client.close();
    } finally {
      await stopServer(s.child);
      jwksServer.close();
    }
  });

  it('a client that drops the connection mid-call reconnects with Last-Event-ID and gets the result', async () => {
    const s = await startHttpServer();
    try {
      const headers = await rawSession(s.url);
      const controller = new AbortController();
      const res = await fetch(s.url, { method: 'POST', headers, signal: controller.signal, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'local_batch_process', arguments: { items: 3, seconds_per_item: 0.4 }, _meta: { progressToken: 'p1' } } }) });
      const reader = res.body!.getReader();
      let seen = '';
      while (!/id: \S+/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
      const lastId = /id: (\S+)/.exec(seen)![1]!;
      controller.abort(); // the connection drops; the run goes on
      await new Promise((r) => setTimeout(r, 1600));
      const again = await fetch(s.url, { method: 'GET', headers: { ...headers, 'last-event-id': lastId } });
      assert.equal(again.status, 200);
      const body = again.body!.getReader();
      let text = '';
      while (!text.includes('"id":7')) text += new TextDecoder().decode((await body.read()).value);
      await body.cancel();
      assert.match(text, /"status":"completed"/);
      assert.match(text, /notifications\/progress/, 'missed progress is replayed too');
    } finally {
      await stopServer(s.child);
    }
  });

  it('a call gets its progress and answer on its own stream; a batch of two calls gets both answers on one', async () => {
    const s = await startHttpServer();
    try {
      const headers = await rawSession(s.url);
      const call = (id: number, token?: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'local_batch_process', arguments: { items: 1, seconds_per_item: 0.2 }, ...(token ? { _meta: { progressToken: token } } : {}) } });
      const one = await (await fetch(s.url, { method: 'POST', headers, body: JSON.stringify(call(3, 'p3')) })).text();
      assert.match(one, /notifications\/progress[^\n]*"progressToken":"p3"/);
      assert.match(one, /"id":3,"result"|"result"[^\n]*"id":3/);
      const both = await (await fetch(s.url, { method: 'POST', headers, body: JSON.stringify([call(4, 'p4'), call(5)]) })).text();
      for (const id of [4, 5]) assert.match(both, new RegExp(`"id":${id}[,}][^\\n]*"status":"completed"|"status":"completed"[^\\n]*"id":${id}[,}]`), `answer ${id} in ${both.slice(0, 400)}`);
      const after = await (await fetch(s.url, { method: 'POST', headers, body: JSON.stringify(call(6)) })).text();
      assert.match(after, /"status":"completed"/, 'single calls still answered after a batch');
    } finally {
      await stopServer(s.child);
    }
  });

  it('a workflow tool called as an MCP task over HTTP: created at once, result read back with tasks/result', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'half.workflow.mjs': "export default { name: 'Half Second', run: () => new Promise((r) => setTimeout(() => r({ ok: true }), 500)) };" });
    const s = await startHttpServer(['--wait-seconds', '0'], {}, dir);
    try {
      const client = await connect(s.url);
      const kinds: string[] = [];
      let result: CallToolResult | undefined;
      for await (const m of client.experimental.tasks.callToolStream({ name: 'local_half_second', arguments: {} }, CallToolResultSchema, { task: { ttl: 30_000 } })) {
        kinds.push(m.type);
        if (m.type === 'result') result = m.result as CallToolResult;
      }
      assert.equal(kinds[0], 'taskCreated');
      assert.deepEqual((result?.structuredContent as { status: string; output: unknown }).output, { ok: true });
      await client.close();
    } finally {
      await stopServer(s.child);
    }
  });

  it('stateless mode serves POST only', async () => {
    const s = await startHttpServer(['--stateless']);
    try {
      const client = await connect(s.url);
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'local_invoice_total'));
      assert.equal(client.getServerCapabilities()?.tasks, undefined, 'a task could not be read back by a later request');
      assert.ok(tools.every((t) => t.execution === undefined));
      const get = await fetch(s.url, { method: 'GET', headers: { accept: 'text/event-stream' } });
      assert.equal(get.status, 405);
      await client.close();
    } finally {
      await stopServer(s.child);
    }
  });

  it('1,000 concurrent tool calls of a 2 s workflow over one server all complete with correct envelopes', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    writeFiles(dir, { 'two.workflow.mjs': "export default { name: 'Two Seconds', input: { type: 'object', properties: { i: { type: 'integer' } }, required: ['i'] }, run: ({ i }) => new Promise((r) => setTimeout(() => r({ i }), 2000)) };" });
    const s = await startHttpServer(['--log-level', 'warning'], {}, dir);
    try {
      const client = await connect(s.url);
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.callTool({ name: 'local_two_seconds', arguments: { i } }, undefined, { timeout: 100_000 }) as Promise<CallToolResult>));
      results.forEach((r, i) => {
        const env = r.structuredContent as { status: string; output: { i: number }; run_id: string };
        assert.equal(env.status, 'completed');
        assert.equal(env.output.i, i);
      });
      assert.equal(new Set(results.map((r) => (r.structuredContent as { run_id: string }).run_id)).size, 1000);
      await client.close();
    } finally {
      await stopServer(s.child);
    }
  });

  it('on SIGTERM, in-flight calls answer with their running envelopes and the server exits 0', async () => {
    const s = await startHttpServer();
    const client = await connect(s.url);
    const call = client.callTool({ name: 'local_batch_process', arguments: { items: 5, seconds_per_item: 2 } }) as Promise<CallToolResult>;
    await until(() => s.stderr().includes('serving'), 5000);
    await new Promise((r) => setTimeout(r, 500));
    s.child.kill('SIGTERM');
    const r = await call;
    assert.equal((r.structuredContent as { status: string }).status, 'running');
    const code = await new Promise((res) => (s.child.exitCode !== null ? res(s.child.exitCode) : s.child.on('close', res)));
    assert.equal(code, 0);
  });
});

async function rawSessionWith(url: string, auth: Record<string, string>): Promise<Record<string, string>> {
  const res = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...auth }, body: JSON.stringify(INIT) });
  await res.text();
  const headers = { ...HEADERS, ...auth, 'mcp-session-id': res.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
  await (await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  return headers;
}

/** fetch will not send a forged Host header; node:http will. */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...HEADERS, host } }, (res) => (res.resume(), resolve(res.statusCode!)));
    req.on('error', reject);
    req.end(JSON.stringify(INIT));
  });
}
