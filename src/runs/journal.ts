import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WorkflowError } from '../core/errors.js';
import { parseJsonOr } from '../core/json.js';
import type { Run, RunStatus, RunStep } from '../providers/types.js';

/** A run as the journal keeps it: the common model plus what the tracker needs across restarts. */
export interface JournalRun extends Run {
  updatedAt: string;
  /** `host:pid` of the process that started it; local runs live and die with that process. */
  owner: string | null;
  cancelRequested: boolean;
  message: string | null;
  steps: RunStep[];
}

export interface RunQuery {
  provider?: string | undefined;
  workflowId?: string | undefined;
  status?: RunStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  provider TEXT NOT NULL, run_id TEXT NOT NULL, workflow_id TEXT NOT NULL, version TEXT,
  status TEXT NOT NULL, input TEXT, output TEXT, error TEXT, message TEXT, steps TEXT, raw TEXT,
  created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, updated_at TEXT NOT NULL,
  owner TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, run_id)
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at DESC, provider, run_id);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (provider, workflow_id, created_at DESC);
CREATE INDEX IF NOT EXISTS runs_unfinished ON runs (status) WHERE status IN ('queued', 'running', 'waiting', 'unknown');
`;

type Row = Record<string, string | number | null>;

function toRun(row: Row): JournalRun {
  const s = (k: string): string | null => (row[k] === null || row[k] === undefined ? null : String(row[k]));
  return {
    provider: s('provider')!, runId: s('run_id')!, workflowId: s('workflow_id')!, ...(s('version') === null ? {} : { version: s('version')! }),
    status: s('status') as RunStatus, input: parseJsonOr(s('input'), null), output: parseJsonOr(s('output'), null), error: s('error'),
    message: s('message'), steps: parseJsonOr(s('steps'), []) as RunStep[], ...(s('raw') === null ? {} : { raw: parseJsonOr(s('raw'), null) }),
    createdAt: s('created_at')!, startedAt: s('started_at'), endedAt: s('ended_at'), updatedAt: s('updated_at')!,
    owner: s('owner'), cancelRequested: Number(row['cancel_requested']) === 1,
  };
}

export function encodeCursor(run: Pick<Run, 'createdAt' | 'provider' | 'runId'>): string {
  return Buffer.from(JSON.stringify([run.createdAt, run.provider, run.runId])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string, string] {
  const value = parseJsonOr(Buffer.from(cursor, 'base64url').toString('utf8'), null);
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'string')) {
    throw new WorkflowError('invalid_arguments', 'The cursor is not one this server gave out; call again without a cursor.');
  }
  return value as [string, string, string];
}

/** The run journal: one SQLite file in WAL mode, shared safely by every server using the state dir. */
export class Journal {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string): Journal {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return new Journal(db);
  }

  insert(run: Run, owner: string | null, now: string): void {
    this.db
      .prepare(`INSERT INTO runs (provider, run_id, workflow_id, version, status, input, output, error, raw, created_at, started_at, ended_at, updated_at, owner)
        VALUES (@provider, @runId, @workflowId, @version, @status, @input, @output, @error, @raw, @createdAt, @startedAt, @endedAt, @now, @owner)
        ON CONFLICT (provider, run_id) DO NOTHING`)
      .run({
        provider: run.provider, runId: run.runId, workflowId: run.workflowId, version: run.version ?? null, status: run.status,
        input: JSON.stringify(run.input ?? null), output: run.output === null || run.output === undefined ? null : JSON.stringify(run.output),
        error: run.error, raw: run.raw === undefined ? null : JSON.stringify(run.raw), createdAt: run.createdAt,
        startedAt: run.startedAt, endedAt: run.endedAt, now, owner,
      });
  }

  /** Writes the run's changing fields. */
  update(run: JournalRun, now: string): void {
    this.db
      .prepare(`UPDATE runs SET status = @status, output = @output, error = @error, message = @message, steps = @steps, raw = @raw,
        started_at = @startedAt, ended_at = @endedAt, updated_at = @now, cancel_requested = @cancel WHERE provider = @provider AND run_id = @runId`)
      .run({
        provider: run.provider, runId: run.runId, status: run.status, error: run.error, message: run.message,
        output: run.output === null || run.output === undefined ? null : JSON.stringify(run.output),
        steps: run.steps.length ? JSON.stringify(run.steps) : null, raw: run.raw === undefined ? null : JSON.stringify(run.raw),
        startedAt: run.startedAt, endedAt: run.endedAt, now, cancel: run.cancelRequested ? 1 : 0,
      });
  }

  get(provider: string, runId: string): JournalRun | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE provider = ? AND run_id = ?').get(provider, runId) as Row | undefined;
    return row ? toRun(row) : undefined;
  }

  /** Newest first, keyset-paged so a cursor stays valid while new runs arrive. */
  list(q: RunQuery): { runs: JournalRun[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.provider) (where.push('provider = ?'), params.push(q.provider));
    if (q.workflowId) (where.push('workflow_id = ?'), params.push(q.workflowId));
    if (q.status) (where.push('status = ?'), params.push(q.status));
    if (q.cursor) (where.push('(created_at, provider, run_id) < (?, ?, ?)'), params.push(...decodeCursor(q.cursor)));
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, provider DESC, run_id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, q.limit + 1) as Row[];
    const runs = rows.slice(0, q.limit).map(toRun);
    const last = runs[runs.length - 1];
    return { runs, nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  }

  unfinished(): JournalRun[] {
    const rows = this.db.prepare(`SELECT * FROM runs WHERE status IN ('queued', 'running', 'waiting', 'unknown') ORDER BY created_at`).all() as Row[];
    return rows.map(toRun);
  }

  /** For a run another process owns: that process sees the flag and cancels it. */
  requestCancel(provider: string, runId: string, now: string): void {
    this.db.prepare('UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE provider = ? AND run_id = ?').run(now, provider, runId);
  }

  cancelRequests(owner: string): Array<{ provider: string; runId: string }> {
    const rows = this.db
      .prepare(`SELECT provider, run_id FROM runs WHERE owner = ? AND cancel_requested = 1 AND status IN ('queued', 'running', 'waiting', 'unknown')`)
      .all(owner) as Row[];
    return rows.map((r) => ({ provider: String(r['provider']), runId: String(r['run_id']) }));
  }

  /** Deletes finished runs that ended before `before`; returns how many. */
  prune(before: string): number {
    return this.db.prepare(`DELETE FROM runs WHERE ended_at IS NOT NULL AND ended_at < ? AND status IN ('completed', 'failed', 'cancelled')`).run(before).changes;
  }

  /** Distinct values, for completion of resource template arguments. */
  recentRunIds(provider: string | undefined, prefix: string, limit: number): string[] {
    const rows = this.db
      .prepare(`SELECT run_id FROM runs WHERE (? IS NULL OR provider = ?) AND run_id LIKE ? ESCAPE '\\' ORDER BY created_at DESC LIMIT ?`)
      .all(provider ?? null, provider ?? null, `${prefix.replace(/[\\%_]/g, '\\$&')}%`, limit) as Row[];
    return rows.map((r) => String(r['run_id']));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
