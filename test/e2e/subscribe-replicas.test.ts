import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { tempDir, until, writeFiles } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

const FILES = {
  'medium.workflow.mjs': `export default { name: 'Medium', input: { type: 'object' }, async run(input, ctx) {
    for (let i = 1; i <= 6; i++) { ctx.progress('step ' + i, i / 6); await new Promise((r) => setTimeout(r, 500)); } return { medium: true }; } };`,
};
const skip = (await pgUnavailable()) ?? false;

describe('a subscription on one replica to a run another replica owns', { skip }, () => {
  let db: TestDatabase;
  const replicas: Array<{ url: string; child: ChildProcess }> = [];
  const clients: Client[] = [];
  before(async () => {
    db = await createTestDatabase();
    const dir = tempDir();
    writeFiles(dir, FILES);
    for (let i = 0; i < 2; i++) replicas.push(await startHttpServer(['--wait-seconds', '1'], { WORKFLOWS_MCP_DATABASE_URL: db.url }, dir));
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const r of replicas) await stopServer(r.child);
    await db?.drop();
  });
  const connect = async (i: number): Promise<Client> => {
    const c = new Client({ name: `sub-${i}`, version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(replicas[i]!.url)));
    clients.push(c);
    return c;
  };

  it('gets resources/updated as the run changes on A, and reads its end through B', { timeout: 60_000 }, async () => {
    const [a, b] = [await connect(0), await connect(1)];
    const started = (await a.callTool({ name: 'local_medium', arguments: {} })) as CallToolResult;
    const env = started.structuredContent as Record<string, unknown>;
    assert.equal(env['status'], 'running', 'still going after the 1 s budget');
    const updates: string[] = [];
    b.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => void updates.push(n.params.uri));
    await b.subscribeResource({ uri: env['run_uri'] as string });
    const ended = async () => {
      const r = await b.readResource({ uri: env['run_uri'] as string });
      return JSON.parse((r.contents[0] as { text: string }).text) as Record<string, unknown>;
    };
    await until(async () => updates.length > 0 && (await ended())['status'] === 'completed', 30_000, 'an update on B and the run completed');
    assert.ok(updates.every((u) => u === env['run_uri']), JSON.stringify(updates));
    assert.deepEqual((await ended())['output'], { medium: true });
  });
});
