import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The project's development and CI server (trust auth). */
const ADMIN_URL = process.env['WORKFLOWS_MCP_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** A URL to a fresh database of its own. */
  url: string;
  /** The same database with `search_path` set to a fresh schema (cheap isolation within one file). */
  schemaUrl(): Promise<string>;
  drop(): Promise<void>;
}

/**
 * Why PostgreSQL tests cannot run here, or null when they can. With WORKFLOWS_MCP_TEST_PG=require
 * (CI) an unreachable server is an error, not a skip.
 */
export async function pgUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    const why = `no PostgreSQL at ${ADMIN_URL} (${(err as Error).message})`;
    if (process.env['WORKFLOWS_MCP_TEST_PG'] === 'require') throw new Error(`${why}; WORKFLOWS_MCP_TEST_PG=require, so this fails instead of skipping`);
    return why;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates `wm_test_<random>`; drop it when the test file ends. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `wm_test_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = withDatabase(ADMIN_URL, name);
  return {
    url,
    async schemaUrl() {
      const schema = `h_${randomBytes(5).toString('hex')}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await c.end();
      }
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${schema}`);
      return u.toString();
    },
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
