import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig, type ConfigFlags } from '../../src/config/load.js';
import { createMcpServer, type McpConnection } from '../../src/mcp/server.js';
import { createApp, type App } from '../../src/serve/app.js';

/** The repository (the tests run from dist/test/…). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The command users run (`bin/workflows-mcp.js`, which loads the bundle): what every end-to-end test and bench spawns. */
export const BIN = join(ROOT, 'bin/workflows-mcp.js');

export function tempDir(prefix = 'wm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `files` (relative path → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
}

export interface Harness {
  app: App;
  client: Client;
  connection: McpConnection;
  dir: string;
  stateDir: string;
  logs: string[];
  notifications: ServerNotification[];
  call(name: string, args?: Record<string, unknown>, opts?: Parameters<Client['callTool']>[2]): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  files?: Record<string, string>;
  flags?: ConfigFlags;
  env?: Record<string, string>;
  configFile?: Record<string, unknown>;
  live?: boolean;
  stateDir?: string;
}

/** The real app and MCP server, and a real SDK Client, over linked in-memory transports. */
export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const root = tempDir();
  const dir = join(root, 'workflows');
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, o.files ?? {});
  const stateDir = o.stateDir ?? join(root, 'state');
  if (o.configFile) writeFileSync(join(root, 'workflows-mcp.config.json'), JSON.stringify(o.configFile));
  const database = await testDatabaseUrl(stateDir);
  const loaded = loadConfig({ cwd: root, env: { HOME: root, ...database, ...o.env }, flags: { local: dir, stateDir, ...o.flags } });
  const logs: string[] = [];
  const app = await createApp({ config: { ...loaded.config, logLevel: 'debug' }, secrets: loaded.secrets, live: o.live ?? false, writeLog: (l) => logs.push(l) });
  const connection = createMcpServer(app.deps);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await connection.connect(a);
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  const notifications: ServerNotification[] = [];
  client.fallbackNotificationHandler = async (n) => void notifications.push(n as ServerNotification);
  await client.connect(b);
  return {
    app, client, connection, dir, stateDir, logs, notifications,
    call: async (name, args = {}, opts) => (await client.callTool({ name, arguments: args }, undefined, opts)) as CallToolResult,
    async close() {
      await client.close().catch(() => {});
      await connection.close().catch(() => {});
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const schemas = new Map<string, Promise<string>>();

/** Which run store this run of the suite uses (test/pg/ runs it again on PostgreSQL). */
export function journalBackend(): 'sqlite' | 'postgres' {
  return process.env['WORKFLOWS_MCP_TEST_BACKEND'] === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * With WORKFLOWS_MCP_TEST_BACKEND=postgres (the suite's PostgreSQL run, test/pg/), each state
 * folder gets a schema of its own in the test file's database: a harness restarted on the same
 * folder finds its runs again, and harnesses never see each other's.
 */
async function testDatabaseUrl(stateDir: string): Promise<Record<string, string>> {
  if (journalBackend() !== 'postgres') return {};
  let url = schemas.get(stateDir);
  if (!url) schemas.set(stateDir, (url = (await import('./stores.js')).fileDatabase().then((d) => d.schemaUrl())));
  return { WORKFLOWS_MCP_DATABASE_URL: await url };
}

export function text(result: CallToolResult): string {
  return result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}

export function envelope(result: CallToolResult): Record<string, unknown> {
  if (!result.structuredContent) throw new Error(`no structuredContent in ${JSON.stringify(result)}`);
  return result.structuredContent;
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Workflow sources used across tests. */
export const WF = {
  echo: `export default { name: 'Echo', version: 1, description: 'Returns its input.', input: { type: 'object', properties: { msg: { type: 'string' }, n: { type: 'integer', minimum: 0, default: 1 } }, required: ['msg'], additionalProperties: false }, run: (input) => ({ echoed: input }) };`,
  slow: `export default { name: 'Slow', version: 1, input: { type: 'object', properties: { ms: { type: 'integer', default: 300 }, steps: { type: 'integer', default: 3 } } },
    async run({ ms, steps }, ctx) {
      for (let i = 1; i <= steps; i++) {
        await new Promise((res, rej) => { const t = setTimeout(res, ms); ctx.signal.addEventListener('abort', () => { clearTimeout(t); rej(new Error('aborted')); }, { once: true }); });
        ctx.progress('step ' + i, i / steps);
      }
      return { steps };
    } };`,
  fail: `export default { name: 'Fail', version: 1, input: { type: 'object' }, run() { throw new Error('the thing broke'); } };`,
};
