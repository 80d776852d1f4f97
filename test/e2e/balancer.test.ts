import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { tempDir, until, writeFiles } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const STEPS = `export default { name: 'Steps', input: { type: 'object' }, async run(input, ctx) {
  for (let i = 1; i <= 4; i++) { ctx.progress('step ' + i, i / 4); await new Promise((r) => setTimeout(r, 200)); } return { steps: 4 }; } };`;

/** The nginx configuration docs/deploy.md shows, exactly, with this test's ports in place of the example's. */
function deployConfig(upstreams: string[], listen: string): string {
  const doc = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
  const conf = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!conf) throw new Error('docs/deploy.md has no nginx block');
  const servers = [...conf.matchAll(/^(\s*)server 127\.0\.0\.1:\d+ (.*);$/gm)];
  assert.ok(servers.length >= 2, 'the upstream lists replicas');
  let out = conf.replace(/^\s*server 127\.0\.0\.1:\d+ .*;\n/gm, '');
  out = out.replace(/(upstream workflows_mcp \{\n)/, `$1${upstreams.map((u) => `${servers[0]![1]}server ${u} ${servers[0]![2]};\n`).join('')}`);
  return out.replace(/listen 127\.0\.0\.1:\d+;/, `listen ${listen};`);
}

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

const nginx = spawnSync('nginx', ['-v']).error ? 'nginx is not installed (apt-get install -y nginx)' : false;
const skip = nginx || ((await pgUnavailable()) ?? false);

describe('the balancer from docs/deploy.md: round robin over two replicas, no stickiness', { skip }, () => {
  let db: TestDatabase;
  let proxy: ChildProcess | undefined;
  let base = '';
  const replicas: Array<{ url: string; child: ChildProcess }> = [];
  before(async () => {
    db = await createTestDatabase();
    const dir = tempDir();
    writeFiles(dir, { 'steps.workflow.mjs': STEPS });
    for (let i = 0; i < 2; i++) replicas.push(await startHttpServer([], { WORKFLOWS_MCP_DATABASE_URL: db.url }, dir));
    const prefix = tempDir('wm-nginx-');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const port = await freePort();
    writeFileSync(join(prefix, 'nginx.conf'), deployConfig(replicas.map((r) => new URL(r.url).host), `127.0.0.1:${port}`));
    proxy = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log ${join(prefix, 'error.log')};`], { stdio: 'ignore' });
    base = `http://127.0.0.1:${port}`;
    await until(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok === true, 10_000, 'nginx to answer');
  });
  after(async () => {
    if (proxy && proxy.exitCode === null) {
      proxy.kill('SIGQUIT');
      await new Promise((r) => proxy!.once('close', r));
    }
    for (const r of replicas) await stopServer(r.child);
    await db?.drop();
  });

  it('a client through the balancer lists, calls with progress and ends its session; both replicas served it', async () => {
    const client = new Client({ name: 'through-nginx', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
    await client.connect(transport);
    const progress: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = (await client.callTool({ name: 'local_steps', arguments: {} }, undefined, { onprogress: (p) => void progress.push(p.message ?? '') })) as CallToolResult;
      assert.equal((r.structuredContent as { status: string }).status, 'completed');
    }
    assert.ok(progress.some((m) => m.includes('step')), `progress came through unbuffered streams: ${JSON.stringify(progress)}`);
    const served = await Promise.all(replicas.map(async (r) => ((await (await fetch(new URL('/healthz', r.url))).json()) as { sessions: number }).sessions));
    assert.deepEqual(served, [1, 1], 'round robin: each replica held the session');
    await transport.terminateSession();
    await client.close();
  });
});
