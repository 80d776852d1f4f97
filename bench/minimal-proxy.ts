/**
 * A reference for the synchronous-endpoint bench: the smallest MCP server the SDK makes that
 * forwards a tool call to the endpoint (`PROXY_URL`) with undici and returns its answer — no
 * validation, journal, progress or cancellation. What this costs beside the direct request is
 * the SDK stdio server's own share of the goal; no server built on the SDK can do better.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';

const url = process.env['PROXY_URL']!;
const server = new Server({ name: 'minimal-proxy', version: '1' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'lleverage_echo', inputSchema: { type: 'object' } }] }));
server.setRequestHandler(CallToolRequestSchema, async (req) => {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.params.arguments ?? {}) });
  const output = (await res.body.json()) as unknown;
  return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: { status: 'completed', output } };
});
await server.connect(new StdioServerTransport());
