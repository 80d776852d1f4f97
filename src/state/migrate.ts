import type pg from 'pg';
import { WorkflowError } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** The advisory lock held while migrating: one per database and schema, the same in every replica. */
const MIGRATION_LOCK = `hashtext('workflows-mcp migrations ' || current_schema())`;

export interface MigrationState {
  /** The newest version applied in the database. */
  current: number;
  /** The newest version this code knows. */
  known: number;
}

export function latestVersion(list: readonly Migration[] = MIGRATIONS): number {
  return list.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * Brings the schema to the newest version this code knows. Replicas starting together queue on a
 * session advisory lock, so each migration runs once; a database newer than the code is refused.
 */
export async function migrate(pool: pg.Pool, list: readonly Migration[] = MIGRATIONS): Promise<{ applied: number[] }> {
  const client = await pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      const current = await currentVersion(client);
      const known = latestVersion(list);
      if (current > known) {
        throw new WorkflowError('config', `state.databaseUrl: the database schema is at version ${current}, newer than this workflows-mcp knows (${known}). Upgrade workflows-mcp on every replica, or point it at another database.`);
      }
      const applied: number[] = [];
      for (const m of [...list].sort((a, b) => a.version - b.version)) {
        if (m.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new WorkflowError('config', `state.databaseUrl: migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
        }
        applied.push(m.version);
      }
      return { applied };
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`).catch(() => {});
    }
  } finally {
    client.release();
  }
}

/** Where the schema stands, for `doctor` and `/healthz`. */
export async function migrationState(pool: pg.Pool, list: readonly Migration[] = MIGRATIONS): Promise<MigrationState> {
  const exists = await pool.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  const current = exists.rows[0]?.present ? await currentVersion(pool) : 0;
  return { current, known: latestVersion(list) };
}

async function currentVersion(q: pg.Pool | pg.PoolClient): Promise<number> {
  const res = await q.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations');
  return Number(res.rows[0]?.v ?? 0);
}
