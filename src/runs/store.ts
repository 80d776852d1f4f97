import { join } from 'node:path';
import { WorkflowError } from '../core/errors.js';
import type { RunStore } from './journal.js';
import { SqliteRunStore } from './journal-sqlite.js';

export interface StoreOptions {
  stateDir: string;
}

/** Opens the configured run store: the SQLite file in the state folder by default. */
export async function openRunStore(o: StoreOptions): Promise<RunStore> {
  const dbPath = join(o.stateDir, 'runs.db');
  try {
    return SqliteRunStore.open(dbPath);
  } catch (err) {
    throw new WorkflowError('config', `stateDir: cannot open the run journal at ${dbPath}: ${(err as Error).message}`);
  }
}
