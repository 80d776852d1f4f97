import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { tempDir, writeFiles, WF } from '../helpers/harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = join(root, 'dist/src/cli/bin.js');
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
      assert.match(JSON.stringify(detail['output_truncated']), /first 4194304 bytes/);
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
      const tools = (await s.client.listTools()).tools;
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
