import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { tempDir, until, writeFiles } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

const FILES = { 'echo.workflow.mjs': `export default { name: 'Echo', input: { type: 'object' }, async run(input) { return { echo: input }; } };` };
const envelope = (r: CallToolResult): Record<string, unknown> => r.structuredContent as Record<string, unknown>;
const skip = (await pgUnavailable()) ?? false;

/** Ends every connection the server holds to its database, as a failover or a restarted PostgreSQL does. */
async function dropConnections(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

describe('losing the database while serving (the built bin, real PostgreSQL)', { skip }, () => {
  let db: TestDatabase;
  let server: { url: string; child: ChildProcess; stderr: () => string };
  let client: Client | undefined;
  before(async () => {
    db = await createTestDatabase();
    const dir = tempDir();
    writeFiles(dir, FILES);
    server = await startHttpServer([], { WORKFLOWS_MCP_DATABASE_URL: db.url }, dir);
  });
  after(async () => {
    await client?.close().catch(() => {});
    await stopServer(server.child);
    await db?.drop();
  });

  it('keeps serving: its connections come back, runs are journaled again, LISTEN is up again, and the process never exits', { timeout: 90_000 }, async () => {
    client = new Client({ name: 'db-loss', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const call = async (n: number) => envelope((await client!.callTool({ name: 'local_echo', arguments: { n } })) as CallToolResult);
    assert.equal((await call(1))['status'], 'completed');
    assert.ok((await dropConnections(db.url)) >= 2, 'the pool and the LISTEN connection were cut');
    // The first calls after the cut may answer with a clear error; the server must come back by itself.
    let again = { status: 'none' } as Record<string, unknown>;
    await until(async () => ((again = await call(2).catch((e: Error) => ({ status: `error: ${e.message}` })))['status'] === 'completed'), 30_000, 'a call to complete again');
    const got = envelope((await client.callTool({ name: 'get_run', arguments: { provider: 'local', run_id: again['run_id'] } })) as CallToolResult);
    assert.equal(got['status'], 'completed', 'the run was journaled after the database came back');
    const health = new URL('/healthz', server.url);
    await until(async () => ((await (await fetch(health)).json()) as { database?: string }).database === 'ok', 30_000, '/healthz to say the database is ok (LISTEN back)');
    assert.equal(server.child.exitCode, null, 'the server did not exit');
    assert.doesNotMatch(server.stderr(), /\n\s+at .*\.js:\d+/, 'no stack trace in the log');
  });
});
