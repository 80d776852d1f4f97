import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getAllMcpTools, MCPServerStdio, MCPServerStreamableHttp, RunContext, type FunctionTool, type MCPServer } from '@openai/agents';
import { ALL_TOOLS, asListed, assertOutput, essentials, INVALID, outputFromText, startTarget, textOf, VALID, type Target, type TransportName } from './common.js';

// OpenAI Agents SDK JS with `convertSchemasToStrict`: a tool whose schema cannot be made strict
// falls back to non-strict with a warning. `invoke` hands the model only the text and a resource
// link, so status and run_id must be in the text.

/** What a model writes under strict mode: every field present, null for those it leaves out. */
function strictArgs(schema: unknown, value: unknown): unknown {
  const s = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] } | undefined;
  if (Array.isArray(value)) return value.map((v) => strictArgs(s?.items, v));
  if (!value || typeof value !== 'object' || !s?.properties) return value;
  const v = value as Record<string, unknown>;
  return Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, k in v ? strictArgs(p, v[k]) : null]));
}

const MODES: Array<{ transport: TransportName; name?: string; env?: Record<string, string>; why: string }> = [
  { transport: 'stdio', why: 'default server name: the server picks the portable form itself' },
  { transport: 'http', name: 'workflows', env: { WORKFLOWS_MCP_SCHEMAS: 'portable' }, why: 'a named server, WORKFLOWS_MCP_SCHEMAS=portable' },
];

for (const mode of MODES) {
  describe(`OpenAI Agents SDK @openai/agents (strict) over ${mode.transport}, ${mode.why}`, () => {
    let target: Target;
    let server: MCPServer;
    let tools: FunctionTool[];
    const ctx = new RunContext({});
    const tool = (name: string): FunctionTool => {
      const t = tools.find((x) => x.name === name);
      assert.ok(t, `no tool ${name}`);
      return t;
    };
    const call = async (name: string, args: Record<string, unknown>): Promise<unknown> => {
      const t = tool(name);
      return t.invoke(ctx, JSON.stringify(strictArgs(t.parameters, asListed(t.parameters, args))));
    };

    before(async () => {
      target = await startTarget(mode.transport, mode.env);
      const named = mode.name ? { name: mode.name } : {};
      server = mode.transport === 'stdio'
        ? new MCPServerStdio({ command: target.command, args: target.args, env: target.env, ...named })
        : new MCPServerStreamableHttp({ url: target.url, ...named });
      await server.connect();
      tools = (await getAllMcpTools({ mcpServers: [server], convertSchemasToStrict: true, runContext: ctx })).filter((t): t is FunctionTool => t.type === 'function');
    });
    after(async () => {
      await server?.close();
      await target?.close();
    });

    it('lists every tool and makes every one strict', () => {
      assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS);
      assert.deepEqual(tools.filter((t) => !t.strict).map((t) => t.name), []);
    });

    it('calls each shape as a strict model would; status, run_id and output are in the text', async () => {
      for (const c of VALID) {
        const text = textOf(await call(c.tool, c.args));
        const seen = essentials(text);
        assert.equal(seen.status, 'completed', `${c.tool}: ${text}`);
        assertOutput(outputFromText(text), c.output, c.tool);
        assert.equal(essentials(textOf(await call('get_run', { provider: 'local', run_id: seen.run_id }))).run_id, seen.run_id);
      }
      assert.match(textOf(await call('refresh', {})), /workflows/);
    });

    it('gets invalid input back as a tool error that names the field', async () => {
      for (const c of INVALID) {
        const text = textOf(await call(c.tool, c.args));
        assert.match(text, /no run was started/);
        assert.match(text, c.field, c.tool);
      }
    });
  });
}

describe('OpenAI Agents SDK (strict) with the full schemas', () => {
  it('falls back to non-strict only for workflows whose input has a oneOf, and for run_workflow\'s free-form input', async () => {
    const target = await startTarget('stdio', { WORKFLOWS_MCP_SCHEMAS: 'full' });
    const server = new MCPServerStdio({ command: target.command, args: target.args, env: target.env, name: 'workflows' });
    const warn = console.warn;
    console.warn = () => {}; // the SDK warns once per tool it cannot make strict
    try {
      await server.connect();
      const tools = await getAllMcpTools({ mcpServers: [server], convertSchemasToStrict: true, runContext: new RunContext({}) });
      const loose = tools.filter((t) => t.type === 'function' && !t.strict).map((t) => t.name).sort();
      assert.deepEqual(loose, ['local_schedule_meeting', 'local_schedule_meeting_v1', 'local_send_notice', 'local_send_notice_v1', 'run_workflow']);
    } finally {
      console.warn = warn;
      await server.close();
    }
  });
});
