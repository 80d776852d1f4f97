import type pg from 'pg';
import type { Logger } from '../core/log.js';
import { Listener, listenRoundTrip } from './listen.js';
import { migrate, migrationState } from './migrate.js';
import { connectPool, describePgError, maskUrl } from './pool.js';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  log: Logger;
}

export interface DatabaseCheck {
  name: string;
  ok: boolean;
  message: string;
}

/**
 * The shared PostgreSQL state of every replica: one pool, one LISTEN connection, the schema
 * migrated to this code's version. Opened once per process and handed to each store.
 */
export class Database {
  private constructor(readonly pool: pg.Pool, readonly listener: Listener, readonly url: string, private readonly schema: string, private readonly log: Logger) {}

  /**
   * A NOTIFY channel name for this deployment: channels are per database, so deployments that
   * share one database in different schemas (and tests) must not hear each other.
   */
  channel(base: string): string {
    const name = this.schema === 'public' ? base : `${base}_${this.schema.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    return name.slice(0, 63);
  }

  static async open(o: DatabaseOptions): Promise<Database> {
    const pool = await connectPool({ url: o.url, max: o.poolSize, onIdleError: (err) => o.log.warn(`database: an idle connection broke (${describePgError(err)}); it will be replaced`) });
    try {
      const { applied } = await migrate(pool);
      if (applied.length) o.log.info(`database: applied migrations ${applied.join(', ')} to ${maskUrl(o.url)}`);
      const schema = String((await pool.query('SELECT current_schema() AS s')).rows[0]?.s ?? 'public');
      const listener = new Listener(o.url, o.log);
      await listener.start();
      return new Database(pool, listener, o.url, schema, o.log);
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
  }

  /** Reachable, migrations current, LISTEN works: one line each, for `doctor` and `/healthz`. */
  async check(): Promise<DatabaseCheck[]> {
    const where = maskUrl(this.url);
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      return [{ name: 'database', ok: false, message: `${where}: not reachable (${describePgError(err)})` }];
    }
    const m = await migrationState(this.pool);
    const heard = await listenRoundTrip(this.pool, this.listener);
    return [
      { name: 'database', ok: true, message: `${where}: reachable` },
      { name: 'migrations', ok: m.current === m.known, message: m.current === m.known ? `at version ${m.current}` : `database at version ${m.current}, this code knows ${m.known}` },
      { name: 'listen', ok: heard, message: heard ? 'LISTEN/NOTIFY round trip works' : 'a notification did not come back within 3 s' },
    ];
  }

  /** For `/healthz`: the pool answers a query within `timeoutMs`, and LISTEN is connected. */
  async ping(timeoutMs = 1000): Promise<'ok' | 'unreachable' | 'listen_down'> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const answered = await Promise.race([this.pool.query('SELECT 1').then(() => true, () => false), late]);
    clearTimeout(timer);
    if (!answered) return 'unreachable';
    return this.listener.connected ? 'ok' : 'listen_down';
  }

  async close(): Promise<void> {
    await this.listener.close();
    await this.pool.end().catch((err: Error) => this.log.warn(`database: closing the pool failed: ${err.message}`));
  }
}
