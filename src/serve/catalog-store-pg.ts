import type { SnapshotBackend } from '../mcp/snapshot.js';
import type { SchemaCache } from '../providers/schema-cache.js';
import type { Database } from '../state/database.js';

const DAY_MS = 86_400_000;
/** Entries nobody read for this long belong to versions no longer listed: they go. */
const UNUSED_FOR_MS = 30 * DAY_MS;

/** Catalog snapshots in PostgreSQL: a replica that starts lists what another last listed. */
export class PgSnapshots implements SnapshotBackend {
  constructor(private readonly db: Database) {}

  async read(provider: string): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ body: string }>('SELECT body FROM catalog_snapshots WHERE provider = $1', [provider]);
    return rows[0]?.body ?? null;
  }

  /** Rewrites the row only when the listing changed: replicas that refresh the same catalog write nothing. */
  async write(provider: string, doc: string): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO catalog_snapshots (provider, body, saved_at) VALUES ($1, $2, now())
       ON CONFLICT (provider) DO UPDATE SET body = EXCLUDED.body, saved_at = now() WHERE catalog_snapshots.body IS DISTINCT FROM EXCLUDED.body`,
      [provider, doc],
    );
  }
}

/** The per-version schema cache in PostgreSQL, shared by every replica; unused entries expire. */
export class PgSchemaCache implements SchemaCache {
  private constructor(private readonly db: Database) {}

  static async open(db: Database): Promise<PgSchemaCache> {
    await db.pool.query(`DELETE FROM schema_cache WHERE used_at < now() - $1 * interval '1 millisecond'`, [UNUSED_FOR_MS]);
    return new PgSchemaCache(db);
  }

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.db.pool.query<{ body: string; stale: boolean }>(`SELECT body, used_at < now() - interval '1 day' AS stale FROM schema_cache WHERE key = $1`, [key]);
    const row = rows[0];
    // Marked used at most once a day: reads stay reads.
    if (row?.stale) {
      await this.db.pool.query('UPDATE schema_cache SET used_at = now() WHERE key = $1', [key]);
    }
    return row?.body;
  }

  async put(key: string, body: string): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO schema_cache (key, body, saved_at, used_at) VALUES ($1, $2, now(), now()) ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, used_at = now()`,
      [key, body],
    );
  }
}
