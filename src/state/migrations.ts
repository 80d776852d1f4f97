/**
 * Every change to the PostgreSQL schema, in order. Append only: a migration that shipped is never
 * edited; a change is a new entry with the next version. Each runs once, in its own transaction,
 * under the migration lock (see migrate.ts).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs journal and replica leases',
    sql: `
-- Text in byte order (COLLATE "C"), as SQLite compares it: both backends page alike.
CREATE TABLE runs (
  provider TEXT COLLATE "C" NOT NULL, run_id TEXT COLLATE "C" NOT NULL, workflow_id TEXT COLLATE "C" NOT NULL, version TEXT,
  status TEXT NOT NULL, input TEXT, output TEXT, error TEXT, message TEXT, steps TEXT, raw TEXT,
  created_at TEXT COLLATE "C" NOT NULL, started_at TEXT, ended_at TEXT, updated_at TEXT NOT NULL,
  owner TEXT, cancel_requested SMALLINT NOT NULL DEFAULT 0,
  -- The principal that started the run (issue #10); null for runs from elsewhere.
  started_by TEXT,
  PRIMARY KEY (provider, run_id)
);
CREATE INDEX runs_by_starter ON runs (started_by, created_at DESC);
CREATE INDEX runs_by_time ON runs (created_at DESC, provider, run_id);
CREATE INDEX runs_by_workflow ON runs (provider, workflow_id, created_at DESC);
CREATE INDEX runs_unfinished ON runs (owner) WHERE status IN ('queued', 'running', 'waiting', 'unknown');
-- One row per running replica; a run's owner is alive while its lease has not lapsed.
CREATE TABLE replicas (
  owner TEXT PRIMARY KEY, lease_until TIMESTAMPTZ NOT NULL, started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`,
  },
];
