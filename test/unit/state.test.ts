import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { Database } from '../../src/state/database.js';
import { Listener, notify } from '../../src/state/listen.js';
import { migrate } from '../../src/state/migrate.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { connectPool } from '../../src/state/pool.js';
import { until } from '../helpers/harness.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
const skip = await pgUnavailable();

describe('PostgreSQL state', { skip: skip ?? false }, () => {
  let db: TestDatabase;
  before(async () => (db = await createTestDatabase()));
  after(async () => db?.drop());

  it('migrates once when several replicas start together, and an older schema only forward', async () => {
    const url = await db.schemaUrl();
    const pools = await Promise.all(Array.from({ length: 4 }, () => connectPool({ url, max: 2 })));
    try {
      const first = MIGRATIONS.slice(0, 1);
      const results = await Promise.all(pools.map((p) => migrate(p, first)));
      assert.equal(results.flatMap((r) => r.applied).length, 1, 'version 1 applied by exactly one replica');
      const next = [...first, { version: 2, name: 'test column', sql: 'ALTER TABLE runs ADD COLUMN test_extra TEXT' }];
      const again = await Promise.all(pools.map((p) => migrate(p, next)));
      assert.deepEqual(again.flatMap((r) => r.applied), [2], 'the older schema moved forward once');
      const rows = (await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
      assert.deepEqual(rows, [1, 2]);
      await assert.rejects(migrate(pools[0]!, first), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'config');
        assert.match(err.message, /^state\.databaseUrl: the database schema is at version 2, newer than this workflows-mcp knows \(1\)/);
        return true;
      });
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('an unreachable or wrong URL is a config error naming state.databaseUrl, password masked', async () => {
    await assert.rejects(connectPool({ url: 'postgres://app:s3cret-pw@127.0.0.1:1/x', max: 1 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'config');
      assert.match(err.message, /^state\.databaseUrl: cannot use postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/x: connection refused/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
    const missing = new URL(db.url);
    missing.pathname = '/wm_no_such_database';
    await assert.rejects(connectPool({ url: missing.toString(), max: 1 }), /state\.databaseUrl: .*database does not exist/);
    await assert.rejects(connectPool({ url: 'mysql://x@y/z', max: 1 }), /state\.databaseUrl: expected a postgres:\/\/ URL/);
  });

  /** A pool and a started listener on a schema of their own. */
  const poolAndListener = async (): Promise<{ pool: pg.Pool; listener: Listener }> => {
    const url = await db.schemaUrl();
    const listener = new Listener(url, log);
    await listener.start();
    return { pool: new pg.Pool({ connectionString: url, max: 2 }), listener };
  };

  it('LISTEN reconnects after its connection is killed, listens again, and says so', async () => {
    const { pool, listener } = await poolAndListener();
    const heard: string[] = [];
    let reconnects = 0;
    listener.onReconnect(() => reconnects++);
    await listener.listen('wm_test_chan', (p) => heard.push(p));
    try {
      await notify(pool, 'wm_test_chan', 'one');
      await until(() => heard.includes('one'), 5000, 'the first notification');
      await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()`);
      await until(() => reconnects === 1, 10_000, 'the LISTEN connection to come back');
      await notify(pool, 'wm_test_chan', 'two');
      await until(() => heard.includes('two'), 5000, 'a notification after the reconnect');
    } finally {
      await listener.close();
      await pool.end();
    }
  });

  it('LISTEN and UNLISTEN on many channels at once go one at a time on its connection (pg 9 refuses a query while one runs)', async () => {
    const { pool, listener } = await poolAndListener();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const heard: string[] = [];
      const stops = await Promise.all(['a', 'b', 'c', 'd'].map((c) => listener.listen(`wm_test_many_${c}`, (p) => heard.push(p))));
      await notify(pool, 'wm_test_many_d', 'd');
      await until(() => heard.includes('d'), 5000, 'a notification on the last channel');
      for (const stop of stops) stop();
      const again = await listener.listen('wm_test_many_a', (p) => heard.push(`again ${p}`));
      await notify(pool, 'wm_test_many_a', 'a');
      await until(() => heard.includes('again a'), 5000, 'a notification after the UNLISTENs');
      again();
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(warnings.filter((w) => w.includes('already executing a query')), []);
    } finally {
      process.off('warning', onWarning);
      await listener.close();
      await pool.end();
    }
  });

  it('doctor checks: reachable, migrations current, LISTEN works', async () => {
    const d = await Database.open({ url: await db.schemaUrl(), poolSize: 2, log });
    try {
      const checks = await d.check();
      assert.deepEqual(checks.map((c) => [c.name, c.ok]), [['database', true], ['migrations', true], ['listen', true]]);
    } finally {
      await d.close();
    }
  });
});
