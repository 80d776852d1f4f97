import { MemorySessionStore, type SessionStore } from '../../src/serve/session-store.js';

export interface Backend<T> {
  name: string;
  /** A reason to skip (one line), when this backend cannot be reached here. */
  skip: string | false;
  open(): Promise<T>;
  drop?(): Promise<void>;
}

/** The session store's backends a test runs against: embedded always, PostgreSQL where reachable. */
export function sessionBackends(): Array<Backend<SessionStore>> {
  return [{ name: 'memory', skip: false, open: async () => new MemorySessionStore() }];
}
