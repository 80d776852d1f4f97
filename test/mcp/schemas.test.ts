import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { envelope, startHarness, text, type Harness } from '../helpers/harness.js';

const examples = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'examples/workflows');
const NOTICE = readFileSync(join(examples, 'send-notice.workflow.mjs'), 'utf8');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A second connection to the same app, as a client with this name. */
async function connectAs(harness: Harness, name: string): Promise<Client> {
  const connection = createMcpServer(harness.app.deps);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await connection.connect(a);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(b);
  return client;
}

describe('schemas: full | portable | auto', () => {
  it('portable lists the merged form, yet validates against the full schema before a run starts', async () => {
    h = await startHarness({ files: { 'send-notice.workflow.mjs': NOTICE }, env: { WORKFLOWS_MCP_SCHEMAS: 'portable' } });
    const { tools } = await h.client.listTools();
    const notice = tools.find((t) => t.name === 'local_send_notice')!;
    assert.equal(notice.inputSchema['oneOf'], undefined);
    assert.deepEqual((notice.inputSchema.properties as Record<string, unknown>)['channel'], { enum: ['email', 'sms', 'webhook'] });
    // Accepted by the merged form (only channel is required there), refused by the full schema.
    const bad = await h.call('local_send_notice', { channel: 'sms', to: 'a@b.example' });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /no run was started/);
    assert.match(text(bad), /phone: is required/);
    const runs = await h.call('list_runs', {});
    assert.deepEqual((runs.structuredContent as { runs: unknown[] }).runs, []);
    // run_workflow's free-form input is JSON text in this form; both text and an object are read.
    const input = (tools.find((t) => t.name === 'run_workflow')!.inputSchema.properties as Record<string, { type?: string }>)['input'];
    assert.equal(input?.type, 'string');
    for (const given of ['{"channel": "sms", "phone": "+31612345678", "text": "hi"}', { channel: 'sms', phone: '+31612345678', text: 'hi' }]) {
      const r = await h.call('run_workflow', { provider: 'local', workflow_id: 'send-notice', version: null, input: given });
      assert.equal(envelope(r)['status'], 'completed', text(r));
    }
  });

  it('auto gives the portable form to clients known to need it, and the full one to others', async () => {
    h = await startHarness({ files: { 'send-notice.workflow.mjs': NOTICE } });
    const full = (await h.client.listTools()).tools.find((t) => t.name === 'local_send_notice')!;
    assert.ok(Array.isArray(full.inputSchema['oneOf']));
    const langchain = await connectAs(h, '@langchain/mcp-adapters');
    try {
      const portable = (await langchain.listTools()).tools.find((t) => t.name === 'local_send_notice')!;
      assert.equal(portable.inputSchema['oneOf'], undefined);
      const r = (await langchain.callTool({ name: 'local_send_notice', arguments: { channel: 'email', to: 'a@b.example', subject: 'Hi' } })) as CallToolResult;
      assert.match(text(r), /^status: completed · run_id: lr_/);
    } finally {
      await langchain.close();
    }
  });
});
