import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { BIN, tempDir, writeFiles, WF } from '../helpers/harness.js';

const MB = 1024 * 1024;

let fake: FakeLooply;
before(async () => {
  fake = await new FakeLooply().start();
});
after(() => fake.close());

async function serve(files: Record<string, string>, env: Record<string, string> = {}): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string; closed: () => boolean }> {
  const base = tempDir('wm-hostile-');
  const dir = join(base, 'workflows');
  mkdirSync(dir);
  writeFiles(dir, files);
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', '--local', dir, '--state-dir', join(base, 'state'), '--wait-seconds', '30'], stderr: 'pipe', env: { PATH: process.env['PATH'] ?? '', HOME: base, ...env } });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'hostile', version: '1' });
  let closed = false;
  client.onclose = () => void (closed = true);
  await client.connect(transport);
  return { client, transport, stderr: () => err, closed: () => closed };
}

const BIG = `export default { name: 'Big', version: 1, input: { type: 'object' }, run: () => ({ blob: 'x'.repeat(12 * 1024 * 1024) }) };`;

describe('oversized messages over stdio (the SDK client closes the connection on a message over 10 MB)', () => {
  it('a 12 MB output: the result carries a note and the text is cut; the run resource shows 4 MB with a note; the session lives on', async () => {
    const s = await serve({ 'big.workflow.mjs': BIG, 'echo.workflow.mjs': WF.echo });
    try {
      const r = (await s.client.callTool({ name: 'local_big', arguments: {} })) as CallToolResult;
      const env = r.structuredContent as Record<string, unknown>;
      assert.equal(env['status'], 'completed');
      const note = env['output'] as Record<string, unknown>;
      assert.equal(note['truncated'], true);
      assert.equal(note['run_uri'], env['run_uri']);
      assert.ok((note['size_bytes'] as number) > 12 * MB);
      const text = (r.content[0] as { text: string }).text;
      assert.ok(text.length < 200 * 1024 && /truncated/.test(text));
      const read = await s.client.readResource({ uri: env['run_uri'] as string });
      const detail = JSON.parse((read.contents[0] as { text: string }).text) as Record<string, unknown>;
      assert.equal(typeof detail['output'], 'string');
      assert.ok((detail['output'] as string).startsWith('{"blob":"xxx'));
      assert.match(JSON.stringify(detail["output_truncated"]), /first 4194304 bytes of its JSON text/);
      await s.client.ping();
      const echo = (await s.client.callTool({ name: 'local_echo', arguments: { msg: 'still here' } })) as CallToolResult;
      assert.equal((echo.structuredContent as Record<string, unknown>)['status'], 'completed');
      assert.equal(s.closed(), false);
    } finally {
      await s.client.close();
    }
  });

  it('a 10 MB workflow name (Looply) and a local workflow named with 10 MB: tools/list answers, cut, and the session lives on', async () => {
    fake.workflows.length = 0;
    const huge = 'N'.repeat(10 * MB);
    fake.workflows.push({ workflow_id: 'wf-huge', workflow_name: huge, workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object' } });
    const local = `export default { name: ${JSON.stringify('L'.repeat(10 * MB))}, version: 1, input: { type: 'object' }, run: () => 1 };`;
    const s = await serve({ 'huge.workflow.mjs': local, 'echo.workflow.mjs': WF.echo }, { LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url });
    try {
      let tools = (await s.client.listTools()).tools;
      // A server serves after 1 s; a slow platform's tools follow (tools/list_changed).
      for (let i = 0; i < 900 && !tools.some((t) => t.name.startsWith('looply_n')); i++) {
        await new Promise((r) => setTimeout(r, 100));
        tools = (await s.client.listTools()).tools;
      }
      const looply = tools.find((t) => t.name.startsWith('looply_n'));
      assert.ok(looply, 'the Looply workflow is listed');
      assert.ok(looply.title!.length <= 200 && looply.description!.length < 10_000);
      assert.ok(tools.some((t) => t.name === 'local_echo'));
      assert.ok(!tools.some((t) => t.name.startsWith('local_l')), 'the local workflow whose id would be 10 MB is left out');
      assert.ok(JSON.stringify(tools).length < 1 * MB);
      await s.client.listResources();
      await s.client.ping();
      assert.match(s.stderr(), /over 512 characters; the workflow is left out/);
      assert.equal(s.closed(), false);
    } finally {
      await s.client.close();
    }
  });
});

describe('a client message over 10 MB over stdio', () => {
  it('is answered with a JSON-RPC error and the server keeps serving (SDK client: the call fails, ping and calls work)', async () => {
    const s = await serve({ 'echo.workflow.mjs': WF.echo });
    try {
      const blob = `data:application/pdf;base64,${'A'.repeat(11 * MB)}`;
      await assert.rejects(s.client.callTool({ name: 'local_echo', arguments: { msg: blob } }), (err: Error) => {
        assert.match(err.message, /The message was 11\.0 MB, over the 10 MB this server reads in one message over stdio.*Pass files as paths/);
        return true;
      });
      await s.client.ping();
      const r = (await s.client.callTool({ name: 'local_echo', arguments: { msg: 'after' } })) as CallToolResult;
      assert.equal((r.structuredContent as Record<string, unknown>)['status'], 'completed');
      assert.match(s.stderr(), /a 11\.0 MB message on stdin \(tools\/call\) is over the 10 MB limit/);
      assert.equal(s.closed(), false);
    } finally {
      await s.client.close();
    }
  });

  it('raw frames: an oversized request with its id first, an oversized notification, junk; each answered or skipped, then ping answers', async () => {
    const base = tempDir('wm-hostile-raw-');
    const child = spawn(process.execPath, [BIN, 'serve', '--local', join(base, 'none'), '--state-dir', join(base, 'state')], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', HOME: base } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const answers = (): Array<Record<string, unknown>> => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const waitFor = async (id: number | null): Promise<Record<string, unknown>> => {
      for (let i = 0; i < 1500; i++) {
        const hit = answers().find((a) => a['id'] === id);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no answer with id ${id}; stdout: ${out.slice(0, 500)}`);
    };
    try {
      const write = (line: string): boolean => child.stdin.write(`${line}\n`);
      write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
      await waitFor(1);
      write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      write(`{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"x","arguments":{"a":"${'B'.repeat(12 * MB)}"}}}`);
      write(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"junk":"${'C'.repeat(11 * MB)}"}}`);
      write('this is not json');
      write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }));
      const big = await waitFor('big-1' as never);
      assert.equal((big['error'] as { code: number }).code, -32600);
      assert.deepEqual((await waitFor(2))['result'], {});
      assert.equal(((await waitFor(null))['error'] as { code: number }).code, -32700);
      assert.equal(child.exitCode, null, 'still running');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
