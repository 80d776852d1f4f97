import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, ROOT, tempDir, until, writeFiles, WF } from '../helpers/harness.js';
import { stopServer } from '../helpers/http.js';

const EXAMPLES = join(ROOT, 'examples/workflows');

function cli(args: string[], env: Record<string, string> = {}, cwd = tempDir()): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, env: { PATH: process.env['PATH'] ?? '', HOME: tempDir(), ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function workspace(): string[] {
  const base = tempDir('wm-cli-');
  const dir = join(base, 'workflows');
  mkdirSync(dir);
  writeFiles(dir, { 'echo.workflow.mjs': WF.echo, 'slow.workflow.mjs': WF.slow });
  return ['--local', dir, '--state-dir', join(base, 'state')];
}

describe('command line papercuts', () => {
  it('<command> --help and help <command> print that command only', () => {
    const call = cli(['call', '--help']);
    assert.equal(call.code, 0);
    assert.match(call.stdout, /workflows-mcp call <tool>/);
    assert.match(call.stdout, /--input JSON/);
    assert.doesNotMatch(call.stdout, /--stateless|runs list/);
    const runs = cli(['help', 'runs']);
    assert.equal(runs.code, 0);
    assert.match(runs.stdout, /runs wait <provider>/);
    assert.doesNotMatch(runs.stdout, /--input/);
    assert.match(cli(['help']).stdout, /Exit codes:/);
    assert.match(cli(['help']).stdout, /WORKFLOWS_MCP_STATELESS=1/);
    const unknown = cli(['help', 'frob']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frob"/);
  });

  it('call of a tool that starts no run: exit 0, its answer on stdout (--json: one JSON value)', () => {
    const ws = workspace();
    const text = cli(['call', 'search_workflows', '--input', '{"query": "echo"}', ...ws]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /echo/i);
    const json = cli(['call', 'list_runs', '--json', ...ws]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).runs, []);
    assert.equal(json.stderr, '');
  });

  it('call --wait-seconds never leaves a local run to die with the process', () => {
    const ws = workspace();
    const r = cli(['call', 'local_slow', '--wait-seconds', '0', '--input', '{"ms": 150, "steps": 2}', '--json', ...ws]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'completed');
  });

  it('--input @missing.json is a usage error (exit 2) naming the file', () => {
    const r = cli(['call', 'local_echo', '--input', '@missing.json', ...workspace()]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--input @missing\.json: cannot read .*missing\.json \(no such file\)/);
  });

  it('a bad environment value names the variable, exit 2', () => {
    const r = cli(['list', ...workspace()], { WORKFLOWS_MCP_WAIT_SECONDS: 'soon' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /WORKFLOWS_MCP_WAIT_SECONDS: must be a number from 0 to 3600, got "soon"/);
  });

  it('no ./workflows folder: no warning on list or runs, nothing counted as not loaded', () => {
    const cwd = tempDir();
    const state = ['--state-dir', join(cwd, 'state')];
    const list = cli(['list', ...state], {}, cwd);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stderr, '');
    assert.match(list.stdout, /search_workflows/);
    const runs = cli(['runs', 'list', ...state], {}, cwd);
    assert.equal(runs.code, 0);
    assert.equal(runs.stderr, '');
    const unreachable = cli(['list', ...state], { LOOPLY_API_KEY: 'k-unreachable', LOOPLY_BASE_URL: 'http://127.0.0.1:9/v2' }, cwd);
    assert.equal(unreachable.code, 0, unreachable.stderr);
    assert.doesNotMatch(unreachable.stderr, /not loaded/, 'an unreachable platform is not a workflow file');
  });

  it('the bundled batch example removes its abort listeners (no MaxListenersExceededWarning)', () => {
    const r = cli(['call', 'local_batch_process', '--input', '{"items": 40, "seconds_per_item": 0}', '--json', '--local', EXAMPLES, '--state-dir', join(tempDir(), 's')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).output.processed, 40);
    assert.doesNotMatch(r.stderr, /MaxListeners|memory leak/);
  });

  it('the bundled bin serves a workflow that imports workflows-mcp and zod from a folder with no node_modules', () => {
    const base = tempDir('wm-cli-');
    const dir = join(base, 'workflows');
    mkdirSync(dir);
    writeFiles(dir, {
      'shout.workflow.mjs': "import { defineWorkflow } from 'workflows-mcp';\nimport { z } from 'zod';\n" +
        "export default defineWorkflow({ name: 'Shout', version: 1, input: z.object({ word: z.string().min(1) }), run: (i) => ({ loud: i.word.toUpperCase() }) });\n",
    });
    const ws = ['--local', dir, '--state-dir', join(base, 'state')];
    const ok = cli(['call', 'local_shout', '--json', '--input', '{"word": "hi"}', ...ws], {}, base);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).output, { loud: 'HI' });
    const bad = cli(['call', 'local_shout', '--json', '--input', '{"word": ""}', ...ws], {}, base);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /word/);
  });

  it('WORKFLOWS_MCP_HTTP=1 and _PORT serve over HTTP without flags; --stdio still wins', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env['PATH'] ?? '', HOME: tempDir(), WORKFLOWS_MCP_HTTP: '1', WORKFLOWS_MCP_PORT: '0', WORKFLOWS_MCP_LOCAL_DIR: EXAMPLES, WORKFLOWS_MCP_STATE_DIR: join(tempDir(), 's'), WORKFLOWS_MCP_READ_ONLY: '1' },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until(() => /MCP endpoint (\S+)/.test(err) || child.exitCode !== null, 15000, 'the HTTP server to listen');
      const url = /MCP endpoint (\S+)/.exec(err)![1]!;
      const client = new Client({ name: 'env-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('list_runs'));
      assert.ok(!names.includes('local_text_stats'), 'WORKFLOWS_MCP_READ_ONLY=1 applied');
      await client.close();
    } finally {
      await stopServer(child);
    }
    const stdio = new Client({ name: 'env-test', version: '1' });
    await stdio.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', '--stdio', '--local', EXAMPLES, '--state-dir', join(tempDir(), 's')], env: { PATH: process.env['PATH'] ?? '', WORKFLOWS_MCP_HTTP: '1' }, stderr: 'ignore' }));
    assert.ok((await stdio.listTools()).tools.some((t) => t.name === 'local_text_stats'));
    await stdio.close();
  });
});
