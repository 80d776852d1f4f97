import { join } from 'node:path';
import { WorkflowError } from '../core/errors.js';
import type { Database } from '../state/database.js';
import type { RunStore } from './journal.js';
import { SqliteRunStore } from './journal-sqlite.js';

export interface StoreOptions {
  stateDir: string;
  /** The shared PostgreSQL state when `state.databaseUrl` is set; the SQLite file otherwise. */
  database: Database | null;
}

/** Opens the configured run store; nothing above this function knows which one it is. */
export async function openRunStore(o: StoreOptions): Promise<RunStore> {
  // Loaded only with a database: the PostgreSQL client is a large graph a SQLite start never needs.
  if (o.database) return (await import('./journal-pg.js')).PgRunStore.open(o.database);
  const dbPath = join(o.stateDir, 'runs.db');
  try {
    return SqliteRunStore.open(dbPath);
  } catch (err) {
    throw new WorkflowError('config', `stateDir: cannot open the run journal at ${dbPath}: ${(err as Error).message}`);
  }
}
