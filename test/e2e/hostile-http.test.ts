import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { tempDir } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';

function configWith(http: Record<string, unknown>): string {
  const file = join(tempDir(), 'workflows-mcp.config.json');
  writeFileSync(file, JSON.stringify({ http }));
  return file;
}

async function connect(url: string): Promise<{ client: Client; sessionId: string }> {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: 'evict', version: '1' });
  await client.connect(transport);
  return { client, sessionId: transport.sessionId! };
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const post = (url: string, body: unknown, sessionId?: string): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...(sessionId ? { 'mcp-session-id': sessionId } : {}) }, body: JSON.stringify(body) });

describe('http.maxSessions', () => {
  it('at the cap, sessions used moments ago are not evicted: a new initialize gets 503 with Retry-After, and the live sessions keep working', async () => {
    const { url, child } = await startHttpServer(['--config', configWith({ maxSessions: 2 })]);
    try {
      const a = await connect(url);
      const b = await connect(url);
      const refused = await post(url, INIT);
      assert.equal(refused.status, 503);
      const retry = Number(refused.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 300, `Retry-After ${retry}`);
      assert.match(await refused.text(), /Too many sessions.*none idle for 300 s/);
      await a.client.ping();
      await b.client.listTools();
      await a.client.close();
      await b.client.close();
    } finally {
      await stopServer(child);
    }
  });

  it('sessions idle past the minimum make room one at a time, least recently used first', async () => {
    const { url, child, stderr } = await startHttpServer(['--config', configWith({ maxSessions: 2, evictIdleSeconds: 0 })]);
    try {
      const a = await connect(url);
      const b = await connect(url);
      await a.client.ping(); // b is now the least recently used
      const c = await connect(url);
      assert.equal((await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, b.sessionId)).status, 404, 'b was ended');
      assert.equal((await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, a.sessionId)).status, 200, 'a lives on');
      await c.client.ping();
      assert.match(stderr(), new RegExp(`ending the least recently used idle one \\(${b.sessionId.slice(0, 8)}\\)`));
      for (const s of [a, c]) await s.client.close();
    } finally {
      await stopServer(child);
    }
  });
});
