import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DynamicStructuredTool } from '@langchain/core/tools';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { ALL_TOOLS, asListed, assertOutput, essentials, INVALID, outputFromText, startTarget, textOf, VALID, type Target, type TransportName } from './common.js';

// LangChain.js: `getTools()` → DynamicStructuredTools; their schema is the listed one after the
// adapter's own simplification (unions merged), and a tool's content is only the text and a file
// part — the envelope goes to the ToolMessage artifact, which the model does not see.
for (const transport of ['stdio', 'http'] as TransportName[]) {
  describe(`LangChain.js @langchain/mcp-adapters over ${transport}`, () => {
    let target: Target;
    let client: MultiServerMCPClient;
    let tools: DynamicStructuredTool[];
    const tool = (name: string): DynamicStructuredTool => {
      const t = tools.find((x) => x.name === name);
      assert.ok(t, `no tool ${name}`);
      return t;
    };
    /** Called as a model's tool call: a ToolMessage with the content the model reads and the artifact. */
    const call = async (name: string, args: Record<string, unknown>): Promise<{ content: unknown; artifact: unknown }> =>
      (await tool(name).invoke({ type: 'tool_call', id: 'call-1', name, args: asListed(tool(name).schema, args) })) as unknown as { content: unknown; artifact: unknown };

    before(async () => {
      target = await startTarget(transport);
      const server = transport === 'stdio' ? { transport: 'stdio' as const, command: target.command, args: target.args, env: target.env } : { transport: 'http' as const, url: target.url };
      client = new MultiServerMCPClient({ mcpServers: { workflows: server }, prefixToolNameWithServerName: false, throwOnLoadError: true });
      tools = await client.getTools();
    });
    after(async () => {
      await client?.close();
      await target?.close();
    });

    it('lists and converts every tool; the server sends it the portable form (it names itself @langchain/mcp-adapters)', () => {
      assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS);
      const schema = tool('local_send_notice').schema as Record<string, unknown>;
      const channel = (schema['properties'] as Record<string, Record<string, unknown>>)['channel'];
      assert.deepEqual(channel?.['enum'], ['email', 'sms', 'webhook'], 'every branch\'s channel survives the adapter\'s merge');
      assert.equal(schema['oneOf'], undefined);
    });

    it('calls each shape with valid input; status, run_id and output reach the model through the text', async () => {
      for (const c of VALID) {
        const msg = await call(c.tool, c.args);
        const text = textOf(msg.content);
        const seen = essentials(text);
        assert.equal(seen.status, 'completed', `${c.tool}: ${text}`);
        assertOutput(outputFromText(text), c.output, c.tool);
        // The structured envelope is there too, as an artifact for the application.
        const artifact = (msg.artifact as Array<{ type: string; data?: Record<string, unknown> }>).find((a) => a.type === 'mcp_structured_content');
        assert.equal(artifact?.data?.['run_id'], seen.run_id);
        const again = await call('get_run', { provider: 'local', run_id: seen.run_id });
        assert.equal(essentials(textOf(again.content)).status, 'completed');
      }
    });

    it('rejects invalid input (client-side or as a tool error) naming the field', async () => {
      for (const c of INVALID) {
        let message: string;
        try {
          message = textOf((await call(c.tool, c.args)).content);
          assert.match(message, /no run was started/);
        } catch (err) {
          message = `${(err as Error).message} ${JSON.stringify((err as { output?: unknown }).output ?? '')}`;
        }
        assert.match(message, c.field, c.tool);
      }
    });
  });
}
