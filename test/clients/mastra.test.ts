import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MCPClient } from '@mastra/mcp';
import { ALL_TOOLS, asListed, assertOutput, INVALID, startTarget, VALID, type Target, type TransportName } from './common.js';

// Mastra: `listTools()` → Mastra tools keyed `<server>_<tool>`; `execute` checks the input against
// the listed schema (Ajv) and returns the envelope (structuredContent) itself.
const MODES: Array<{ transport: TransportName; env?: Record<string, string>; why: string }> = [
  { transport: 'stdio', why: 'full schemas (Mastra names itself after the server key, so auto stays full)' },
  { transport: 'http', env: { WORKFLOWS_MCP_SCHEMAS: 'portable' }, why: 'WORKFLOWS_MCP_SCHEMAS=portable' },
];

for (const mode of MODES) {
  describe(`Mastra @mastra/mcp over ${mode.transport}, ${mode.why}`, () => {
    let target: Target;
    let client: MCPClient;
    type Tools = Awaited<ReturnType<MCPClient['listTools']>>;
    let tools: Tools;
    const call = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const tool = tools[`workflows_${name}`];
      assert.ok(tool?.execute, `no tool ${name}`);
      // The schema Mastra converted (standard schema with its JSON Schema), as the model would be shown it.
      const standard = (tool.inputSchema as unknown as { '~standard': { jsonSchema: { input(o: { target: string }): unknown } } })['~standard'];
      const listed = standard.jsonSchema.input({ target: 'draft-2020-12' });
      return (await tool.execute(asListed(listed, args) as never, {} as never)) as Record<string, unknown>;
    };

    before(async () => {
      target = await startTarget(mode.transport, mode.env);
      const server = mode.transport === 'stdio' ? { command: target.command, args: target.args, env: target.env } : { url: new URL(target.url) };
      client = new MCPClient({ id: `clients-test-${mode.transport}`, servers: { workflows: server } });
      tools = await client.listTools();
    });
    after(async () => {
      await client?.disconnect();
      await target?.close();
    });

    it('lists and converts every tool', () => {
      assert.deepEqual(Object.keys(tools).map((k) => k.replace(/^workflows_/, '')).sort(), ALL_TOOLS);
    });

    it('calls each shape with valid input and gets the envelope: status, run_id, output', async () => {
      for (const c of VALID) {
        const r = await call(c.tool, c.args);
        assert.equal(r['status'], 'completed', `${c.tool}: ${JSON.stringify(r).slice(0, 500)}`);
        assert.match(String(r['run_id']), /^lr_/);
        assertOutput(r['output'] as Record<string, unknown>, c.output, c.tool);
        const again = await call('get_run', { provider: 'local', run_id: r['run_id'] });
        assert.equal(again['status'], 'completed');
      }
    });

    it('rejects invalid input naming the field (client-side, or the server\'s tool error)', async () => {
      for (const c of INVALID) {
        // Mastra checks the input itself (Ajv, without formats); what passes there comes back from
        // the server as a tool error, which Mastra throws by default.
        let message: string;
        try {
          const r = await call(c.tool, c.args);
          assert.equal(r['error'], true, `${c.tool}: ${JSON.stringify(r).slice(0, 300)}`);
          message = String(r['message']);
        } catch (err) {
          message = (err as Error).message;
          assert.match(message, /no run was started/);
        }
        assert.match(message, c.field, c.tool);
      }
    });
  });
}
