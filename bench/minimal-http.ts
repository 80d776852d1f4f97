/**
 * The peer for the HTTP bench: the smallest Streamable HTTP server the SDK makes — node:http,
 * the SDK's own transport (stateful, no event store, so no priming events and no journal), a tool
 * `hold` that reports progress when it starts and when it ends, like a workflow tool, and answers
 * after 3 s, and `noop` (the load generator's warm-up), which answers at once. Whatever the same load generator measures against this, no server built on
 * the SDK's transport does better on this machine at that moment. Prints its URL on stdout.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

const HOLD_MS = Number(process.argv[2] ?? 3000);
const transports = new Map<string, StreamableHTTPServerTransport>();

function newServer(): Server {
  const server = new Server({ name: 'minimal-http', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: ['hold', 'noop'].map((name) => ({ name, inputSchema: { type: 'object' as const } })) }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    if (req.params.name === 'noop') return { content: [{ type: 'text', text: 'ok' }] };
    const token = extra._meta?.progressToken;
    const progress = async (p: number, message: string): Promise<void> => {
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: p, message } });
    };
    const started = new Date().toISOString();
    await progress(0.001, 'running');
    await new Promise((r) => setTimeout(r, HOLD_MS));
    await progress(1, 'completed');
    const result = { status: 'completed', output: { ok: true }, started_at: started, ended_at: new Date().toISOString() };
    return { structuredContent: result, content: [{ type: 'text', text: JSON.stringify(result) }] };
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const http = createServer((req, res) => {
  void (async () => {
    const sid = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
    if (!transport && isInitializeRequest(body)) {
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (id) => void transports.set(id, t) });
      await newServer().connect(t);
      transport = t;
    }
    if (!transport) return void res.writeHead(404).end();
    await transport.handleRequest(req, res, body);
  })().catch(() => res.headersSent || res.writeHead(500).end());
});
http.listen(0, '127.0.0.1', () => {
  const a = http.address();
  process.stdout.write(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/mcp\n`);
});
