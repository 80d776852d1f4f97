import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMCPClient, type MCPClient } from '@ai-sdk/mcp';
import { Experimental_StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { ALL_TOOLS, assertOutput, essentials, INVALID, outputFromText, startTarget, textOf, VALID, type Target, type TransportName } from './common.js';

// Vercel AI SDK: `client.tools()` → AI SDK tools whose `execute` returns the whole CallToolResult.
for (const transport of ['stdio', 'http'] as TransportName[]) {
  describe(`Vercel AI SDK @ai-sdk/mcp over ${transport}`, () => {
    let target: Target;
    let client: MCPClient;
    type Tools = Awaited<ReturnType<MCPClient['tools']>>;
    let tools: Tools;
    const call = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const tool = tools[name];
      assert.ok(tool?.execute, `no tool ${name}`);
      return (await tool.execute(args, { toolCallId: 'call-1', messages: [] })) as Record<string, unknown>;
    };

    before(async () => {
      target = await startTarget(transport);
      client = await createMCPClient({
        transport: transport === 'stdio' ? new Experimental_StdioMCPTransport({ command: target.command, args: target.args, env: target.env }) : { type: 'http', url: target.url },
      });
      tools = await client.tools();
    });
    after(async () => {
      await client?.close();
      await target?.close();
    });

    it('lists every tool and converts each, schemas unchanged', async () => {
      assert.deepEqual(Object.keys(tools).sort(), ALL_TOOLS);
      const listed = await client.listTools();
      const notice = listed.tools.find((t) => t.name === 'local_send_notice');
      assert.ok(Array.isArray(notice?.inputSchema['oneOf']), 'the full schema (a oneOf) reaches the AI SDK');
    });

    it('calls each shape with valid input and reads status, run_id and output from the envelope and the text', async () => {
      for (const c of VALID) {
        const r = await call(c.tool, c.args);
        const env = r['structuredContent'] as Record<string, unknown>;
        assert.equal(env['status'], 'completed', `${c.tool}: ${textOf(r)}`);
        assertOutput(env['output'] as Record<string, unknown>, c.output, c.tool);
        const text = textOf(r);
        assert.deepEqual(essentials(text), { status: 'completed', run_id: env['run_id'] });
        assertOutput(outputFromText(text), c.output, `${c.tool} (text)`);
        const again = await call('get_run', { provider: 'local', run_id: env['run_id'] });
        assert.equal((again['structuredContent'] as Record<string, unknown>)['status'], 'completed');
      }
    });

    it('gets invalid input back as a tool error that names the field', async () => {
      for (const c of INVALID) {
        const r = await call(c.tool, c.args);
        assert.equal(r['isError'], true, c.tool);
        assert.match(textOf(r), c.field);
        assert.match(textOf(r), /no run was started/);
      }
    });
  });
}
