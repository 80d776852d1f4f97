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
  {
    version: 2,
    name: 'shared HTTP state: sessions and their SSE events, MCP tasks, request budgets, webhook tokens',
    sql: `
CREATE TABLE mcp_sessions (
  id TEXT PRIMARY KEY, principal TEXT NOT NULL, init TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(), last_seen TIMESTAMPTZ NOT NULL
);
CREATE INDEX mcp_sessions_by_last_seen ON mcp_sessions (last_seen);
-- A session's SSE events in the order they were sent (bounded per session); they go with their session.
CREATE TABLE mcp_events (
  seq BIGSERIAL PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES mcp_sessions (id) ON DELETE CASCADE,
  stream_id TEXT NOT NULL, message TEXT NOT NULL
);
CREATE INDEX mcp_events_by_stream ON mcp_events (session_id, stream_id, seq);
-- MCP tasks: any replica reads and cancels them; gone once expires_at passes (TTL after creation, again after the end).
CREATE TABLE mcp_tasks (
  task_id TEXT PRIMARY KEY, session_id TEXT, status TEXT NOT NULL, status_message TEXT,
  ttl_ms BIGINT, poll_interval_ms INTEGER, request_id TEXT, request TEXT, result TEXT,
  created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ
);
CREATE INDEX mcp_tasks_by_expiry ON mcp_tasks (expires_at);
-- Platform request budgets every replica draws from (token buckets refilled by the database clock).
CREATE TABLE rate_buckets (name TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, refilled_at TIMESTAMPTZ NOT NULL);
-- Single-use webhook tokens (Leap): any replica takes one and wakes the run's owner.
CREATE TABLE webhook_tokens (token TEXT PRIMARY KEY, provider TEXT NOT NULL, run_id TEXT, created_at TIMESTAMPTZ NOT NULL);
CREATE INDEX webhook_tokens_by_age ON webhook_tokens (created_at);
`,
  },
  {
    version: 3,
    name: 'catalog snapshots and the per-version schema cache',
    sql: `
-- Each remote platform's last catalog (bounded), so any replica that starts lists its tools at once.
CREATE TABLE catalog_snapshots (provider TEXT PRIMARY KEY, body TEXT NOT NULL, saved_at TIMESTAMPTZ NOT NULL);
-- Platform answers that never change (a deployed or ACTIVE version's schema), read once by any replica.
CREATE TABLE schema_cache (key TEXT PRIMARY KEY, body TEXT NOT NULL, saved_at TIMESTAMPTZ NOT NULL, used_at TIMESTAMPTZ NOT NULL);
CREATE INDEX schema_cache_by_use ON schema_cache (used_at);
`,
  },
  {
    version: 4,
    name: 'MCP tasks follow their run to another replica',
    sql: `
-- The replica running a task, and the run it waits on: when the replica dies, the one that adopts
-- the run takes its tasks and stores their results (a task with no run yet is failed, saying why).
ALTER TABLE mcp_tasks ADD COLUMN owner TEXT, ADD COLUMN run_provider TEXT, ADD COLUMN run_id TEXT;
CREATE INDEX mcp_tasks_by_run ON mcp_tasks (run_provider, run_id) WHERE status = 'working';
`,
  },
  {
    version: 5,
    name: 'tools/call requests in flight follow their run to another replica',
    sql: `
-- A call waiting on a run, and the SSE stream its answer goes to: when its replica dies, the one
-- that adopts the run answers it into the session's stored events (a resuming client gets it).
-- Removed when the call answers; goes with its session.
CREATE TABLE mcp_calls (
  session_id TEXT NOT NULL REFERENCES mcp_sessions (id) ON DELETE CASCADE,
  request_id TEXT NOT NULL, stream_id TEXT NOT NULL, progress_token TEXT, principal TEXT NOT NULL,
  run_provider TEXT NOT NULL, run_id TEXT NOT NULL, deadline_ms BIGINT NOT NULL, budget_ms BIGINT NOT NULL, owner TEXT,
  PRIMARY KEY (session_id, request_id)
);
CREATE INDEX mcp_calls_by_run ON mcp_calls (run_provider, run_id);
`,
  },
];
