import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BIN, tempDir, until, writeFiles, WF } from '../helpers/harness.js';
import { COMMIT_SPACING_MS } from '../../src/runs/journal-sqlite.js';

function workspace(): { dir: string; state: string } {
  const base = tempDir('wm-e2e-');
  const dir = join(base, 'workflows');
  mkdirSync(dir);
  writeFiles(dir, { 'echo.workflow.mjs': WF.echo, 'slow.workflow.mjs': WF.slow });
  return { dir, state: join(base, 'state') };
}

async function connect(ws: { dir: string; state: string }, extra: string[] = []): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', '--local', ws.dir, '--state-dir', ws.state, ...extra], stderr: 'pipe', env: { PATH: process.env['PATH'] ?? '' } });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(transport); // any non-protocol byte on stdout would break this connection
  return { client, transport, stderr: () => err };
}

const call = async (c: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> =>
  ((await c.callTool({ name, arguments: args })) as CallToolResult).structuredContent as Record<string, unknown>;

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: tempDir(), ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the built bin over stdio', () => {
  it('serves, runs, and finds earlier runs after a restart with the same state dir', async () => {
    const ws = workspace();
    let s = await connect(ws);
    const tools = (await s.client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes('local_echo') && tools.includes('local_slow_v1'));
    const env = await call(s.client, 'local_echo', { msg: 'persist me' });
    assert.equal(env['status'], 'completed');
    assert.match(s.stderr(), /serving 2 workflows/);
    await s.client.close();
    s = await connect(ws);
    const runs = (await call(s.client, 'list_runs', {}))['runs'] as Array<Record<string, unknown>>;
    assert.equal(runs[0]!['run_id'], env['run_id']);
    const read = await s.client.readResource({ uri: env['run_uri'] as string });
    assert.match((read.contents[0] as { text: string }).text, /persist me/);
    await s.client.close();
  });

  it('a run cut off by a killed server is marked failed on the next start', async () => {
    const ws = workspace();
    const s = await connect(ws, ['--wait-seconds', '0']);
    const env = await call(s.client, 'local_slow', { ms: 5000, steps: 2 });
    assert.equal(env['status'], 'running');
    process.kill(s.transport.pid!, 'SIGKILL');
    await until(() => { try { process.kill(s.transport.pid!, 0); return false; } catch { return true; } }, 5000, 'the server to die');
    const again = await connect(ws);
    const got = await call(again.client, 'get_run', { provider: 'local', run_id: env['run_id'] as string });
    assert.equal(got['status'], 'failed');
    assert.match(got['error'] as string, /^server stopped while the run was in progress \(the workflows-mcp server running it, .+:\d+#\w+, is gone/);
    await again.client.close();
  });

  it('runs cancel from another process stops a run the server owns', async () => {
    const ws = workspace();
    const s = await connect(ws, ['--wait-seconds', '0']);
    const env = await call(s.client, 'local_slow', { ms: 10000, steps: 2 });
    const out = cli(['runs', 'cancel', 'local', env['run_id'] as string, '--state-dir', ws.state, '--local', ws.dir, '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).status, 'cancelled');
    const got = await call(s.client, 'get_run', { provider: 'local', run_id: env['run_id'] as string });
    assert.equal(got['status'], 'cancelled');
    await s.client.close();
  });
});

describe('the command line', () => {
  it('checkpoints its journal on a thread of its own (the bundle finds the worker file)', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const { client, transport } = await connect(workspace());
    try {
      const threads = (): number => readdirSync(`/proc/${transport.pid}/task`).length;
      assert.equal((await call(client, 'local_echo', { msg: 'warm' }))['status'], 'completed');
      const before = threads();
      // 100 journal commits start the thread; each call commits at least once when calls are the commit spacing apart.
      for (let i = 0; i < 120; i++) {
        await call(client, 'local_echo', { msg: String(i) });
        await new Promise((r) => setTimeout(r, COMMIT_SPACING_MS + 1));
      }
      await until(() => threads() === before + 1, 5000, 'the checkpoint thread');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(threads(), before + 1, 'the checkpoint thread is still there (a worker that failed to load exits)');
    } finally {
      await client.close();
    }
  });

  it('prints version and help; unknown flags and commands exit 2', () => {
    assert.match(cli(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
    const help = cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:/);
    assert.equal(cli(['--bogus']).code, 2);
    const unknown = cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const port = cli(['serve', '--http', '--port', '99999']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a number from 0 to 65535/);
  });

  it('bad config exits 2 with path.to.field: message', () => {
    const dir = tempDir();
    writeFiles(dir, { 'c.json': JSON.stringify({ runs: { waitSeconds: -5 } }) });
    const r = cli(['list', '--config', join(dir, 'c.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /runs\.waitSeconds: /);
    assert.equal(r.stdout, '');
  });

  it('call: envelope on stdout, progress on stderr; exit 0, 1 for a failed run, 2 for bad input', () => {
    const ws = workspace();
    writeFiles(ws.dir, { 'fail.workflow.mjs': WF.fail });
    const base = ['--local', ws.dir, '--state-dir', ws.state];
    const ok = cli(['call', 'local_slow', '--input', '{"ms": 20, "steps": 2}', ...base]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).status, 'completed');
    assert.match(ok.stderr, /… running/);
    const failed = cli(['call', 'local_fail', ...base]);
    assert.equal(failed.code, 1);
    assert.equal(JSON.parse(failed.stdout).error, 'the thing broke');
    const bad = cli(['call', 'local_echo', '--input', '{"n": "x"}', ...base]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /msg: is required/);
    assert.equal(cli(['call', 'local_echo', '--input', '{nope', ...base]).code, 2);
    assert.equal(cli(['call', 'local_missing', ...base]).code, 2);
    const listed = cli(['runs', 'list', '--json', ...base]);
    assert.equal(JSON.parse(listed.stdout).runs.length, 2);
  });

  it('Ctrl-C during call cancels the run', async () => {
    const ws = workspace();
    const child = spawn(process.execPath, [BIN, 'call', 'local_slow', '--input', '{"ms": 5000, "steps": 3}', '--local', ws.dir, '--state-dir', ws.state], { env: { PATH: process.env['PATH'] ?? '', HOME: tempDir() } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await until(() => err.includes('running'), 10000, 'the run to start');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 1, err);
    assert.equal(JSON.parse(out).status, 'cancelled');
  });

  it('doctor reports the local folder and fails on a missing one', () => {
    const ws = workspace();
    const good = cli(['doctor', '--local', ws.dir, '--state-dir', ws.state]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /ok +local\.dir: .*2 workflows, 2 versions/);
    const bad = cli(['doctor', '--local', join(ws.dir, 'nope'), '--state-dir', ws.state]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /FAIL {2}local\.dir: .*does not exist/);
  });
});
