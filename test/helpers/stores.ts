import { join } from 'node:path';
import { after } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import type { RunStore } from '../../src/runs/journal.js';
import { openRunStore } from '../../src/runs/store.js';
import { Database } from '../../src/state/database.js';
import { tempDir } from './harness.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from './pg.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });

/** One backend to run a store test on: `place()` names a fresh journal; `open` opens it (again). */
export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here (the tests are skipped with this line), or false. */
  skip: string | false;
  place(): Promise<string>;
  open(place: string): Promise<RunStore>;
}

let database: Promise<TestDatabase> | undefined;

/**
 * The test file's own PostgreSQL database, created on first use. Call `dropFileDatabaseAfter()`
 * at the top level of the file (a hook registered inside a test would run when that test ends).
 */
export function fileDatabase(): Promise<TestDatabase> {
  database ??= createTestDatabase();
  return database;
}

export function dropFileDatabaseAfter(): void {
  after(async () => {
    const d = database;
    database = undefined;
    await (await d)?.drop();
  });
}

/** SQLite and PostgreSQL, for `for (const b of await storeBackends()) describe(b.name, { skip: b.skip }, …)`. */
export async function storeBackends(): Promise<StoreBackend[]> {
  const pgSkip = await pgUnavailable();
  const opened: Array<{ store: RunStore; db: Database | null }> = [];
  after(async () => {
    for (const o of opened) await o.store.close().then(() => o.db?.close());
  });
  dropFileDatabaseAfter();
  return [
    {
      name: 'sqlite', skip: false,
      place: async () => join(tempDir(), 'state'),
      open: async (stateDir) => {
        const store = await openRunStore({ stateDir, database: null });
        opened.push({ store, db: null });
        return store;
      },
    },
    {
      name: 'postgres', skip: pgSkip ?? false,
      place: async () => (await fileDatabase()).schemaUrl(),
      open: async (url) => {
        const db = await Database.open({ url, poolSize: 4, log });
        const store = await openRunStore({ stateDir: '', database: db });
        opened.push({ store, db });
        return store;
      },
    },
  ];
}
