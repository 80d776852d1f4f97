import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { MemoryTaskBackend, type TaskBackend } from '../../src/mcp/tasks.js';
import { PgTaskBackend } from '../../src/mcp/tasks-pg.js';
import { MemorySessionStore, type SessionStore } from '../../src/serve/session-store.js';
import { PgSessionStore } from '../../src/serve/session-store-pg.js';
import { Database } from '../../src/state/database.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from './pg.js';

export interface Backend<T> {
  name: string;
  /** A reason to skip (one line), when this backend cannot be reached here. */
  skip: string | false;
  /** One replica's handle on the shared state (a store of its own over the same data). */
  open(): Promise<T>;
  /** Closes what `open` opened and drops the test's database. */
  drop(): Promise<void>;
}

const quiet = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency', write: () => {} });

/** A fresh PostgreSQL database for one test file, and a `Database` (pool + LISTEN) per replica. */
export function pgReplicas(): { open(): Promise<Database>; drop(): Promise<void> } {
  let test: Promise<TestDatabase> | undefined;
  const opened: Database[] = [];
  return {
    async open() {
      test ??= createTestDatabase();
      const db = await Database.open({ url: (await test).url, poolSize: 4, log: quiet });
      opened.push(db);
      return db;
    },
    async drop() {
      for (const db of opened.splice(0)) await db.close();
      if (test) await (await test).drop();
    },
  };
}

/** What one replica keeps in the shared state besides runs. */
export interface ReplicaState {
  sessions: SessionStore;
  tasks: TaskBackend;
}

/** The shared-state backends a test runs against: embedded (one store for every "replica" of the process) always, PostgreSQL where reachable. */
export async function stateBackends(): Promise<Array<Backend<ReplicaState>>> {
  const memory: ReplicaState = { sessions: new MemorySessionStore(), tasks: new MemoryTaskBackend() };
  const pg = pgReplicas();
  const openPg = async (): Promise<ReplicaState> => {
    const db = await pg.open();
    return { sessions: await PgSessionStore.open(db), tasks: await PgTaskBackend.open(db) };
  };
  return [
    // Closed at the end: the SDK's in-memory task store keeps a TTL timer per task that would hold the test process open.
    { name: 'memory', skip: false, open: async () => memory, drop: async () => void (await memory.sessions.close(), await memory.tasks.close()) },
    { name: 'postgres', skip: (await pgUnavailable()) ?? false, open: openPg, drop: () => pg.drop() },
  ];
}
