import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { tempDir } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';
import { startFakeAuthServer, type FakeAuthServer, type TokenOptions } from '../helpers/jwks.js';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const STATIC = 'a-long-static-token-0123456789';
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** One server, OAuth against a local JWKS, tool scopes, and a concurrency limit of 2 per principal. */
describe('principals over Streamable HTTP: who a request is, and what it may use', () => {
  let auth: FakeAuthServer;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  const token = (o: TokenOptions = {}): Promise<string> => auth.token(server.url, o);
  const bearer = async (o: TokenOptions = {}): Promise<Record<string, string>> => ({ authorization: `Bearer ${await token(o)}` });
  const connect = async (o: TokenOptions = {}): Promise<Client> => {
    const client = new Client({ name: 'principals-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: await bearer(o) } }));
    return client;
  };

  before(async () => {
    auth = await startFakeAuthServer();
    const dir = tempDir();
    const oauth = { authorizationServers: [auth.issuer], jwksUrl: auth.jwksUrl, scopes: ['workflows'], toolScopes: { 'local_text_*': 'text:run', cancel_run: ['runs:cancel'] } };
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ http: { maxConcurrentPerClient: 2, oauth } }));
    server = await startHttpServer(['--config', join(dir, 'c.json')], { WORKFLOWS_MCP_TOKEN: STATIC });
  });
  after(async () => {
    await stopServer(server.child);
    await auth.close();
  });

  const init = async (headers: Record<string, string>): Promise<Response> => {
    const res = await fetch(server.url, { method: 'POST', headers: { ...HEADERS, ...headers }, body: JSON.stringify(INIT) });
    await res.text();
    return res;
  };

  it('tokens without a subject, from another issuer, expired, for another audience or signed by an unknown key fail 401; a missing scope 403', async () => {
    assert.equal((await init(await bearer({ sub: null }))).status, 401, 'no sub and no client_id');
    const noSubject = await init(await bearer({ sub: null }));
    assert.match(noSubject.headers.get('www-authenticate')!, /error="invalid_token", error_description="the token names no subject/);
    assert.equal((await init(await bearer({ iss: 'https://elsewhere.example.com' }))).status, 401, 'unknown issuer');
    assert.equal((await init(await bearer({ exp: Math.floor(Date.now() / 1000) - 60 }))).status, 401, 'expired');
    assert.equal((await init(await bearer({ aud: 'https://other.example.com/mcp' }))).status, 401, 'another audience');
    assert.equal((await init(await bearer({ foreignKey: true }))).status, 401, 'a key the JWKS does not publish');
    assert.equal((await init(await bearer({ scope: 'read' }))).status, 403, 'without the required scope');
    assert.equal((await init(await bearer({ sub: null, clientId: 'machine-1' }))).status, 200, 'client_id alone names a principal');
    assert.equal((await init({ authorization: 'Bearer token', 'x-principal': 'agent-1' })).status, 401, 'a header names nobody');
  });

  it('a session belongs to the principal that opened it: another principal gets 404 on POST, GET and DELETE, as for an unknown session', async () => {
    const a = await bearer({ sub: 'alice' });
    const b = await bearer({ sub: 'bob' });
    const opened = await init(a);
    const sid = opened.headers.get('mcp-session-id')!;
    const h = { ...HEADERS, 'mcp-protocol-version': '2025-11-25' };
    await (await fetch(server.url, { method: 'POST', headers: { ...h, ...a, 'mcp-session-id': sid }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const unknown = await fetch(server.url, { method: 'POST', headers: { ...h, ...b, 'mcp-session-id': crypto.randomUUID() }, body: list });
    const stolen = await fetch(server.url, { method: 'POST', headers: { ...h, ...b, 'mcp-session-id': sid }, body: list });
    assert.equal(stolen.status, 404);
    assert.equal(unknown.status, 404);
    assert.equal(await stolen.text(), await unknown.text(), 'the same answer as for a session that does not exist');
    assert.equal((await fetch(server.url, { method: 'GET', headers: { ...h, ...b, accept: 'text/event-stream', 'mcp-session-id': sid } })).status, 404);
    assert.equal((await fetch(server.url, { method: 'DELETE', headers: { ...h, ...b, 'mcp-session-id': sid } })).status, 404);
    const own = await fetch(server.url, { method: 'POST', headers: { ...h, ...a, 'mcp-session-id': sid }, body: list });
    assert.equal(own.status, 200, 'the session is still there for its owner');
    assert.match(await own.text(), /"tools"/);
    assert.match(server.stderr(), new RegExp(`http session ${sid.slice(0, 8)}: refused a request made with another principal's credentials`));
    assert.ok(!server.stderr().includes(b.authorization!.slice(7)), 'no token in the log');
  });

  it('toolScopes: a tool the token may not use is not listed, and a call to it is refused without starting a run', async () => {
    const plain = await connect({ sub: 'carol', scope: 'workflows' });
    const names = (await plain.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('local_invoice_total'));
    assert.ok(!names.includes('local_text_stats'), names.join(' '));
    assert.ok(!names.includes('cancel_run'));
    const direct = (await plain.callTool({ name: 'local_text_stats', arguments: { text: 'a b' } })) as CallToolResult;
    assert.equal(direct.isError, true);
    assert.match((direct.content[0] as { text: string }).text, /^Forbidden: tool "local_text_stats" needs scope text:run.*nothing was started/);
    const generic = (await plain.callTool({ name: 'run_workflow', arguments: { provider: 'local', workflow_id: 'text-stats', input: { text: 'a b' } } })) as CallToolResult;
    assert.equal(generic.isError, true, 'run_workflow cannot go around the scope');
    assert.match((generic.content[0] as { text: string }).text, /^Forbidden: workflow "local\/text-stats" needs scope text:run/);
    const cancel = (await plain.callTool({ name: 'cancel_run', arguments: { provider: 'local', run_id: 'x' } })) as CallToolResult;
    assert.match((cancel.content[0] as { text: string }).text, /^Forbidden: tool "cancel_run" needs scope runs:cancel/);
    const runs = (await plain.callTool({ name: 'list_runs', arguments: {} })) as CallToolResult;
    assert.deepEqual((runs.structuredContent as { runs: unknown[] }).runs, [], 'nothing was started');
    await plain.close();

    const allowed = await connect({ sub: 'carol', scope: 'workflows text:run runs:cancel' });
    const all = (await allowed.listTools()).tools.map((t) => t.name);
    assert.ok(all.includes('local_text_stats') && all.includes('cancel_run'));
    const ok = (await allowed.callTool({ name: 'local_text_stats', arguments: { text: 'a b' } })) as CallToolResult;
    assert.equal((ok.structuredContent as { status: string }).status, 'completed');
    await allowed.close();
  });

  it('the static token is the principal "token", an admin as before: it sees OAuth users\' runs; they do not see its runs', async () => {
    const user = await connect({ sub: 'frank' });
    const byToken = new Client({ name: 'static', version: '1' });
    await byToken.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${STATIC}` } } }));
    const theirs = ((await user.callTool({ name: 'local_invoice_total', arguments: { lines: [{ qty: 1, price: 2 }] } })) as CallToolResult).structuredContent as { run_id: string };
    const ours = ((await byToken.callTool({ name: 'local_invoice_total', arguments: { lines: [{ qty: 1, price: 3 }] } })) as CallToolResult).structuredContent as { run_id: string };
    const list = async (c: Client) => (((await c.callTool({ name: 'list_runs', arguments: { limit: 100 } })) as CallToolResult).structuredContent as { runs: Array<{ run_id: string; started_by: string | null }> }).runs;
    const seenByToken = await list(byToken);
    assert.equal(seenByToken.find((r) => r.run_id === ours.run_id)?.started_by, 'token');
    assert.equal(seenByToken.find((r) => r.run_id === theirs.run_id)?.started_by, `${auth.issuer}#frank`);
    assert.deepEqual((await list(user)).map((r) => r.run_id), [theirs.run_id]);
    await Promise.all([user.close(), byToken.close()]);
  });

  it('the concurrency limit counts per principal across its sessions, not per session', async () => {
    const a = await bearer({ sub: 'dave' });
    const session = async (who: Record<string, string>): Promise<Record<string, string>> => {
      const res = await init(who);
      const h = { ...HEADERS, ...who, 'mcp-session-id': res.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
      await (await fetch(server.url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
      return h;
    };
    const [s1, s2, other] = [await session(a), await session(a), await session(await bearer({ sub: 'erin' }))];
    const slow = (h: Record<string, string>, id: number) => fetch(server.url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'local_batch_process', arguments: { items: 1, seconds_per_item: 1 } } }) });
    const first = [await slow(s1, 10), await slow(s1, 11)];
    const third = await slow(s2, 12);
    assert.equal(third.status, 429, 'a second session of the same principal shares its limit');
    const fourth = await slow(other, 13);
    assert.equal(fourth.status, 200, 'another principal has its own');
    await Promise.all([...first, fourth].map((r) => r.text()));
  });
});
