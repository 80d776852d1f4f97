import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, ROOT, tempDir } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';

const INSPECTOR = join(ROOT, 'node_modules/@modelcontextprotocol/inspector-cli/build/index.js');
const TOKEN = 'inspector-test-token-0123456789';

/** Runs the MCP Inspector CLI (from test/: it looks for ../package.json relative to its cwd). */
function inspector(args: string[]): Promise<{ code: number | null; out: unknown; raw: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [INSPECTOR, ...args], { cwd: join(ROOT, 'test'), env: { PATH: process.env['PATH'] ?? '', HOME: tempDir() } });
    let raw = '';
    child.stdout.on('data', (d: Buffer) => (raw += d.toString()));
    child.stderr.on('data', (d: Buffer) => (raw += d.toString()));
    child.on('close', (code) => {
      const json = raw.slice(raw.indexOf('{'));
      let out: unknown = null;
      try {
        out = JSON.parse(json);
      } catch {
        // left null: the assertion below shows the raw output
      }
      res({ code, out, raw });
    });
  });
}

async function exercise(target: string[]): Promise<void> {
  const listed = await inspector([...target, '--method', 'tools/list']);
  assert.equal(listed.code, 0, listed.raw);
  const names = (listed.out as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
  assert.ok(names.includes('local_invoice_total_v2'), listed.raw);
  const called = await inspector([...target, '--method', 'tools/call', '--tool-name', 'local_invoice_total_v1', '--tool-arg', 'lines=[{"qty":2,"price":3}]']);
  assert.equal(called.code, 0, called.raw);
  const env = (called.out as { structuredContent: { status: string; output: { total: number }; run_uri: string } }).structuredContent;
  assert.equal(env.status, 'completed');
  assert.equal(env.output.total, 6);
  const read = await inspector([...target, '--method', 'resources/read', '--uri', 'workflows://workflows/local/invoice-total']);
  assert.equal(read.code, 0, read.raw);
  assert.match(JSON.stringify(read.out), /invoice-total/);
}

describe('MCP Inspector CLI', () => {
  it('lists tools, calls one and reads a resource over stdio', async () => {
    const state = join(tempDir(), 'state');
    await exercise(['node', BIN, 'serve', '--local', join(ROOT, 'examples/workflows'), '--state-dir', state]);
  });

  it('does the same over Streamable HTTP with a bearer token', async () => {
    const s = await startHttpServer([], { WORKFLOWS_MCP_TOKEN: TOKEN });
    try {
      await exercise([s.url, '--transport', 'http', '--header', `Authorization: Bearer ${TOKEN}`]);
      const denied = await inspector([s.url, '--transport', 'http', '--method', 'tools/list']);
      assert.notEqual(denied.code, 0, 'without the token the inspector is refused');
    } finally {
      await stopServer(s.child);
    }
  });
});
