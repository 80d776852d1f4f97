import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpServer } from '../mcp/server.js';
import type { App } from '../serve/app.js';

/**
 * The CLI talks to the same MCP server a client would, in-process: one code path for
 * naming, validation, runs and envelopes.
 */
export async function withClient<T>(app: App, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = createMcpServer(app.deps);
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await connection.connect(serverSide);
  const client = new Client({ name: 'workflows-mcp-cli', version: app.deps.version });
  await client.connect(clientSide);
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => {});
    await connection.close().catch(() => {});
  }
}

/** Long enough for any run; progress resets it anyway. */
export const CLI_REQUEST_TIMEOUT_MS = 24 * 3600 * 1000;
