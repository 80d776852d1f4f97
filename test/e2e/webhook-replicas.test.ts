import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FakeLeap } from '../fakes/leap/server.js';
import { tempDir, until } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

/** The Leap fake, also noting each read of a run (the owner's fallback polls). */
class CountingLeap extends FakeLeap {
  reads = 0;
  protected override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') this.reads++;
    return super.handle(req, res);
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const envelope = (r: CallToolResult): Record<string, unknown> => r.structuredContent as Record<string, unknown>;
const skip = (await pgUnavailable()) ?? false;

describe('a Leap webhook posted to a replica that does not own the run', { skip }, () => {
  let db: TestDatabase;
  let leap: CountingLeap;
  const replicas: Array<{ url: string; child: ChildProcess; hookPort: number }> = [];
  let client: Client | undefined;
  before(async () => {
    db = await createTestDatabase();
    leap = await new CountingLeap().start();
    leap.webhook = 'never'; // the test delivers the webhook itself, to the replica it chooses
    const config = join(tempDir(), 'config.json');
    writeFileSync(config, JSON.stringify({ providers: { leap: { apiKey: leap.key, baseUrl: leap.url, workflows: [{ id: 'wkf_summarize12345', name: 'Summarize' }] } } }));
    for (let i = 0; i < 2; i++) {
      const hookPort = await freePort();
      const env = { WORKFLOWS_MCP_DATABASE_URL: db.url, WORKFLOWS_MCP_WEBHOOK_PORT: String(hookPort) };
      replicas.push({ ...(await startHttpServer(['--config', config, '--wait-seconds', '1'], env, tempDir())), hookPort });
    }
  });
  after(async () => {
    await client?.close().catch(() => {});
    for (const r of replicas) await stopServer(r.child);
    await leap?.close();
    await db?.drop();
  });

  it('is accepted there and wakes the owner at once, long before its next fallback poll', { timeout: 60_000 }, async () => {
    const [a, b] = [replicas[0]!, replicas[1]!];
    client = new Client({ name: 'webhook-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(a.url)));
    const started = envelope((await client.callTool({ name: 'leap_summarize', arguments: {} })) as CallToolResult);
    assert.equal(started['status'], 'queued', JSON.stringify(started));
    const hook = new URL(leap.starts[0]!.body['webhook_url'] as string);
    assert.equal(hook.port, String(a.hookPort), 'Leap was told the owner\'s receiver');
    // A polls Leap only as a fallback (3 s, then 4.5 s later, …): after its first poll the next is
    // seconds away, so a run that ends within 3 s of the webhook was woken by it.
    await until(() => leap.reads >= 1, 15_000, 'the owner\'s first fallback poll');
    await leap.advance();
    await leap.advance(); // queued → running → completed at the platform; no webhook sent by the fake
    hook.port = String(b.hookPort);
    const posted = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":"completed"}' });
    assert.equal(posted.status, 202, 'B knows the token A issued');
    const ref = { provider: 'leap', run_id: started['run_id'] };
    const waited = envelope((await client.callTool({ name: 'wait_for_run', arguments: { ...ref, timeout_seconds: 3 } })) as CallToolResult);
    assert.equal(waited['status'], 'completed', `the owner woke and read the run (${leap.reads} reads)`);
    assert.equal(leap.reads, 2, 'one fallback poll, then the one read the webhook asked for');
    const again = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(again.status, 404, 'a token is good for one webhook');
    assert.equal(leap.starts.length, 1);
    assert.deepEqual(leap.unexpected, []);
  });
});
