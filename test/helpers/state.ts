import { MemoryTaskBackend, type TaskBackend } from '../../src/mcp/tasks.js';
import { MemorySessionStore, type SessionStore } from '../../src/serve/session-store.js';

export interface Backend<T> {
  name: string;
  /** A reason to skip (one line), when this backend cannot be reached here. */
  skip: string | false;
  /** One replica's handle on the shared state (a store of its own over the same data). */
  open(): Promise<T>;
  /** Closes what `open` opened and drops the test's database. */
  drop(): Promise<void>;
}

/** What one replica keeps in the shared state besides runs. */
export interface ReplicaState {
  sessions: SessionStore;
  tasks: TaskBackend;
}

/** The shared-state backends a test runs against: embedded (one store for every "replica" of the process). */
export async function stateBackends(): Promise<Array<Backend<ReplicaState>>> {
  const memory: ReplicaState = { sessions: new MemorySessionStore(), tasks: new MemoryTaskBackend() };
  return [
    { name: 'memory', skip: false, open: async () => memory, drop: async () => {} },
  ];
}
