import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Run } from '../providers/types.js';
import { decodeCursor, encodeCursor, insertValues, rowToRun, updateValues, type JournalRun, type RunQuery, type RunSignal, type RunStore, type StoreCheck } from './journal.js';
import { newOwner, ownerAlive, ownerClosed } from './owner.js';
import { WriteBatch } from './sqlite-batch.js';
import { WalCheckpointer } from './sqlite-checkpoint.js';
import { openSqlite, type SqliteDb } from './sqlite-engine.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  provider TEXT NOT NULL, run_id TEXT NOT NULL, workflow_id TEXT NOT NULL, version TEXT,
  status TEXT NOT NULL, input TEXT, output TEXT, error TEXT, message TEXT, steps TEXT, raw TEXT,
  created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, updated_at TEXT NOT NULL,
  owner TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0, started_by TEXT,
  PRIMARY KEY (provider, run_id)
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (created_at DESC, provider, run_id);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (provider, workflow_id, created_at DESC);
CREATE INDEX IF NOT EXISTS runs_unfinished ON runs (status) WHERE status IN ('queued', 'running', 'waiting', 'unknown');
`;
/** After the column exists (a journal file from before principals gets it added). */
const STARTED_BY_INDEX = 'CREATE INDEX IF NOT EXISTS runs_by_starter ON runs (started_by, created_at DESC)';

/**
 * How far apart the journal's commits are, at least. Nothing waits on them but a read (which
 * commits first) and an answer about a run still going: an ended run is answered at once (see
 * `RunStore.sharedByReplicas`). Under load the writes of several turns then share a commit: at 32
 * synchronous calls at once, p50 ~0.2–0.45 ms lower than committing every turn (bench/README.md).
 * The cost: a crash may lose the last 10 ms of writes.
 */
export const COMMIT_SPACING_MS = 10;

/**
 * The run journal in one SQLite file (WAL), shared safely by every server using the state dir.
 * Inserts and updates are group-committed at the end of the turn, at most one commit every
 * `COMMIT_SPACING_MS` (`WriteBatch`); every other method first commits what is queued. WAL
 * checkpoints run on a thread (`WalCheckpointer`).
 */
export class SqliteRunStore implements RunStore {
  /** `host:pid#instance`: another process on this host tells whether we are alive by the pid. */
  readonly owner = newOwner();
  /** Processes sharing the file find changes by reading it. */
  readonly signals = false;
  /** One queue, committed in order (`WriteBatch`). */
  readonly writesInOrder = true;
  private readonly checkpointer: WalCheckpointer | null;
  private readonly batch: WriteBatch;

  private constructor(private readonly db: SqliteDb, private readonly path: string, commitSpacingMs: number) {
    this.checkpointer = path === ':memory:' ? null : new WalCheckpointer(path, (pages) => db.exec(`PRAGMA wal_autocheckpoint = ${pages}`));
    this.batch = new WriteBatch(db, (n) => this.checkpointer?.committed(n), commitSpacingMs);
  }

  /** `commitSpacingMs`: tests that count transactions per turn pass 0. */
  static open(path: string, { commitSpacingMs = COMMIT_SPACING_MS }: { commitSpacingMs?: number } = {}): SqliteRunStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = openSqlite(path);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec(SCHEMA);
    // Journals written before runs recorded who started them: add the column; old runs stay null (admins see them).
    if (!db.prepare('PRAGMA table_info(runs)').all().some((c) => c['name'] === 'started_by')) db.exec('ALTER TABLE runs ADD COLUMN started_by TEXT');
    db.exec(STARTED_BY_INDEX);
    return new SqliteRunStore(db, path, commitSpacingMs);
  }

  async insert(run: Run & Partial<JournalRun>, owner: string | null, now: string, startedBy: string | null = null): Promise<void> {
    const v = insertValues(run, owner, now, startedBy);
    // Bound by position: SQLite matched each of 15 named parameters by name on every run.
    return this.batch.write(() => this.db
      .prepare(`INSERT INTO runs (provider, run_id, workflow_id, version, status, input, output, error, raw, created_at, started_at, ended_at, updated_at, owner, started_by, message, steps, cancel_requested)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, run_id) DO NOTHING`)
      .run(v.provider, v.runId, v.workflowId, v.version, v.status, v.input, v.output, v.error, v.raw, v.createdAt, v.startedAt, v.endedAt, v.now, v.owner, v.startedBy, v.message, v.steps, v.cancel));
  }

  async update(run: JournalRun, now: string): Promise<void> {
    const v = updateValues(run, now);
    return this.batch.write(() => this.db
      .prepare(`UPDATE runs SET status = ?, output = ?, error = ?, message = ?, steps = ?, raw = ?, started_at = ?, ended_at = ?, updated_at = ?, cancel_requested = ?
        WHERE provider = ? AND run_id = ?`)
      .run(v.status, v.output, v.error, v.message, v.steps, v.raw, v.startedAt, v.endedAt, v.now, v.cancel, v.provider, v.runId));
  }

  /** Statements and transactions written so far: writes made in one turn share a transaction. */
  get writes(): { transactions: number; statements: number } {
    return { ...this.batch.counts };
  }

  /** WAL checkpoints done off the event loop (tests). */
  get checkpoints(): number {
    return this.checkpointer?.checkpoints ?? 0;
  }

  async get(provider: string, runId: string): Promise<JournalRun | undefined> {
    this.batch.flush();
    const row = this.db.prepare('SELECT * FROM runs WHERE provider = ? AND run_id = ?').get(provider, runId);
    return row ? rowToRun(row) : undefined;
  }

  async list(q: RunQuery): Promise<{ runs: JournalRun[]; nextCursor: string | null }> {
    this.batch.flush();
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.provider) (where.push('provider = ?'), params.push(q.provider));
    if (q.workflowId) (where.push('workflow_id = ?'), params.push(q.workflowId));
    if (q.status) (where.push('status = ?'), params.push(q.status));
    if (q.startedBy !== undefined) (where.push('started_by = ?'), params.push(q.startedBy));
    if (q.cursor) (where.push('(created_at, provider, run_id) < (?, ?, ?)'), params.push(...decodeCursor(q.cursor)));
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, provider DESC, run_id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, q.limit + 1);
    const runs = rows.slice(0, q.limit).map(rowToRun);
    const last = runs[runs.length - 1];
    return { runs, nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  }

  async unfinished(): Promise<JournalRun[]> {
    this.batch.flush();
    return this.db.prepare(`SELECT * FROM runs WHERE status IN ('queued', 'running', 'waiting', 'unknown') ORDER BY created_at`).all().map(rowToRun);
  }

  async requestCancel(provider: string, runId: string, now: string): Promise<void> {
    this.batch.flush();
    this.db.prepare('UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE provider = ? AND run_id = ?').run(now, provider, runId);
  }

  async cancelRequests(owner: string): Promise<Array<{ provider: string; runId: string }>> {
    this.batch.flush();
    const rows = this.db.prepare(`SELECT provider, run_id FROM runs WHERE owner = ? AND cancel_requested = 1 AND status IN ('queued', 'running', 'waiting', 'unknown')`).all(owner);
    return rows.map((r) => ({ provider: String(r['provider']), runId: String(r['run_id']) }));
  }

  async prune(before: string): Promise<number> {
    this.batch.flush();
    return this.db.prepare(`DELETE FROM runs WHERE ended_at IS NOT NULL AND ended_at < ? AND status IN ('completed', 'failed', 'cancelled')`).run(before).changes;
  }

  async recentRunIds(provider: string | undefined, prefix: string, limit: number, startedBy?: string): Promise<string[]> {
    this.batch.flush();
    const rows = this.db
      .prepare(`SELECT run_id FROM runs WHERE (? IS NULL OR provider = ?) AND (? IS NULL OR started_by = ?) AND run_id LIKE ? ESCAPE '\\' ORDER BY created_at DESC LIMIT ?`)
      .all(provider ?? null, provider ?? null, startedBy ?? null, startedBy ?? null, `${prefix.replace(/[\\%_]/g, '\\$&')}%`, limit);
    return rows.map((r) => String(r['run_id']));
  }

  async check(): Promise<StoreCheck[]> {
    this.batch.flush();
    const row = this.db.prepare('SELECT COUNT(*) AS n FROM (SELECT 1 FROM runs LIMIT 100)').get();
    const n = Number(row?.['n'] ?? 0);
    const { name, why } = this.db.engine;
    return [{ name: 'journal', ok: true, message: `${this.path} (${n === 100 ? '100+' : n} runs; SQLite engine ${name}: ${why})` }];
  }

  /** How often a statement was prepared vs. reused from the cache (tests prove reuse with it). */
  get statements(): { prepared: number; reused: number } {
    return { ...this.db.statements };
  }

  async renewLease(): Promise<boolean> {
    return true;
  }

  async isAlive(owner: string | null): Promise<boolean> {
    return ownerAlive(owner);
  }

  async releaseLease(): Promise<void> {
    ownerClosed(this.owner); // a restart in this process adopts our platform runs at once
  }

  /** Runs whose process is gone (same host, pid not running); a run from another host is left alone. */
  async orphans(): Promise<JournalRun[]> {
    this.batch.flush();
    const rows = this.db.prepare(`SELECT * FROM runs WHERE status IN ('queued', 'running', 'waiting', 'unknown') ORDER BY created_at`).all().map(rowToRun);
    return rows.filter((r) => r.owner !== this.owner && !ownerAlive(r.owner));
  }

  async claim(run: JournalRun, now: string): Promise<boolean> {
    this.batch.flush();
    const res = this.db
      .prepare(`UPDATE runs SET owner = ?, updated_at = ? WHERE provider = ? AND run_id = ? AND owner IS ? AND status IN ('queued', 'running', 'waiting', 'unknown')`)
      .run(this.owner, now, run.provider, run.runId, run.owner);
    return res.changes === 1;
  }

  async signal(_s: RunSignal): Promise<void> {}

  onSignal(): () => void {
    return () => {};
  }

  onResync(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    ownerClosed(this.owner);
    this.batch.flush();
    await this.checkpointer?.close();
    this.db.close();
  }
}
