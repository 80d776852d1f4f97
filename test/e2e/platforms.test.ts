import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { cortexFixtures } from '../fakes/cortex/fixtures.js';
import { FakeCortex } from '../fakes/cortex/server.js';
import { FakeLeap } from '../fakes/leap/server.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { BIN, tempDir } from '../helpers/harness.js';

let looply: FakeLooply;
let leap: FakeLeap;
let cortex: FakeCortex;
before(async () => {
  cortex = await new FakeCortex().start();
  cortex.workflows.push(...cortexFixtures());
  looply = await new FakeLooply().start();
  leap = await new FakeLeap().start();
  looply.workflows.push({ workflow_id: 'wf-1', workflow_name: 'Enrich Lead', workflow_version: 2, workflow_status: 'ACTIVE', latest: true, workflow_mock_payload: { email: 'a@b.c' }, states: ['start', 'end'], output: { score: 9 } });
});
after(async () => {
  await looply.close();
  await leap.close();
  await cortex.close();
});

describe('the built bin against the platform fakes', () => {
  it('a user with LOOPLY_API_KEY and a Leap config sees and runs both platforms over stdio', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'workflows-mcp.config.json'), JSON.stringify({ providers: { leap: { apiKey: '${LEAP_API_KEY}', workflows: [{ id: 'wkf_e2e00000000000', name: 'Summarize' }] } } }));
    const transport = new StdioClientTransport({
      command: process.execPath, cwd: dir, stderr: 'pipe',
      args: [BIN, 'serve', '--local', join(dir, 'none'), '--state-dir', join(dir, 'state')],
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, LOOPLY_API_KEY: looply.key, LOOPLY_BASE_URL: looply.url, LEAP_API_KEY: leap.key, LEAP_BASE_URL: leap.url },
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(transport);
    const ticker = setInterval(() => (looply.advance(1), void leap.advance()), 150);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('looply_enrich_lead_v2') && names.includes('leap_summarize'), names.join(', '));
      const a = (await client.callTool({ name: 'looply_enrich_lead', arguments: { email: 'x@y.z' } })) as CallToolResult;
      assert.deepEqual((a.structuredContent as { output: unknown }).output, { score: 9 });
      const b = (await client.callTool({ name: 'leap_summarize', arguments: { text: 'hi' } })) as CallToolResult;
      assert.equal((b.structuredContent as { status: string }).status, 'completed');
      assert.ok(!stderr.includes(looply.key) && !stderr.includes(leap.key), 'keys never reach the log');
    } finally {
      clearInterval(ticker);
      await client.close();
    }
    assert.deepEqual([...looply.unexpected, ...leap.unexpected], []);
  });

  it('a user with CORTEX_API_KEY watches each step of a Cortex run stream by over stdio', async () => {
    const dir = tempDir();
    const transport = new StdioClientTransport({
      command: process.execPath, cwd: dir, stderr: 'pipe',
      args: [BIN, 'serve', '--local', join(dir, 'none'), '--state-dir', join(dir, 'state')],
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, CORTEX_API_KEY: cortex.key, CORTEX_BASE_URL: cortex.url },
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'e2e', version: '1' });
    await client.connect(transport);
    const stepMs = cortex.knobs.stepMs;
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('cortex_summarize_document_v2') && names.includes('replay_run'), names.join(', '));
      const seen: string[] = [];
      // Steps 50 ms apart: the SDK client drops a progress it reads in the same chunk as the
      // call's answer (see stdio-transport.ts), and a client kept off the CPU for more than a
      // step's time on a busy machine reads the last steps' progress together with the answer.
      cortex.knobs.stepMs = 50;
      const r = (await client.callTool({ name: 'cortex_summarize_document', arguments: { text: 'hi' } }, undefined, { onprogress: (p) => void seen.push(p.message ?? '') })) as CallToolResult;
      assert.deepEqual((r.structuredContent as { output: unknown }).output, { summary: 'short' });
      for (const step of ['start', 'fetch', 'summarize', 'finish']) assert.ok(seen.some((m) => m.includes(`step "${step}"`)), seen.join('\n'));
      assert.ok(!stderr.includes(cortex.key), 'the key never reaches the log');
    } finally {
      cortex.knobs.stepMs = stepMs;
      await client.close();
    }
    assert.deepEqual(cortex.unexpected, []);
  });
});
