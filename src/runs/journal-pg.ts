import { WorkflowError } from '../core/errors.js';
import { extend } from '../core/objects.js';
import type { Run } from '../providers/types.js';
import type { Database } from '../state/database.js';
import { describePgError, isConnectionError } from '../state/pool.js';
import { decodeCursor, encodeCursor, insertValues, rowToRun, updateValues, type JournalRun, type RunQuery, type RunSignal, type RunStore, type StoreCheck } from './journal.js';
import { newOwner, ownerClosed } from './owner.js';

/** The channel every replica LISTENs on for run signals (namespaced per schema by the database). */
const CHANNEL = 'workflows_mcp_runs';
const UNFINISHED_SQL = `status IN ('queued', 'running', 'waiting', 'unknown')`;

type Wire = RunSignal & { from: string };

/**
 * The run journal in PostgreSQL, shared by every replica. Each change is announced with NOTIFY
 * in the same statement that writes it; ownership is a lease per replica (table `replicas`).
 */
export class PgRunStore implements RunStore {
  /** `host:pid#instance`: liveness is the lease, the name only has to be unique. */
  readonly owner = newOwner();
  readonly signals = true;
  /** Replicas read it: an answer about a run waits for the run's writes (see RunStore). */
  readonly sharedByReplicas = true;
  private readonly listeners = new Set<(s: RunSignal) => void>();
  private stopListening: (() => void) | undefined;

  private readonly channel: string;

  private constructor(private readonly db: Database) {
    this.channel = db.channel(CHANNEL);
  }

  static async open(db: Database): Promise<PgRunStore> {
    const store = new PgRunStore(db);
    store.stopListening = await db.listener.listen(store.channel, (payload) => store.heard(payload));
    return store;
  }

  async insert(run: Run & Partial<JournalRun>, owner: string | null, now: string, startedBy: string | null = null): Promise<void> {
    const v = insertValues(run, owner, now, startedBy);
    await this.q(
      `INSERT INTO runs (provider, run_id, workflow_id, version, status, input, output, error, raw, created_at, started_at, ended_at, updated_at, owner, started_by, message, steps, cancel_requested)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (provider, run_id) DO NOTHING`,
      [v['provider'], v['runId'], v['workflowId'], v['version'], v['status'], v['input'], v['output'], v['error'], v['raw'], v['createdAt'], v['startedAt'], v['endedAt'], v['now'], v['owner'], v['startedBy'], v['message'], v['steps'], v['cancel']],
    );
  }

  async update(run: JournalRun, now: string): Promise<void> {
    const v = updateValues(run, now);
    await this.q(
      `WITH u AS (UPDATE runs SET status = $3, output = $4, error = $5, message = $6, steps = $7, raw = $8, started_at = $9, ended_at = $10, updated_at = $11, cancel_requested = $12
         WHERE provider = $1 AND run_id = $2 RETURNING provider, run_id, status, owner)
       SELECT pg_notify($13, json_build_object('kind', 'change', 'provider', provider, 'runId', run_id, 'status', status, 'owner', owner, 'from', $14::text)::text) FROM u`,
      [v['provider'], v['runId'], v['status'], v['output'], v['error'], v['message'], v['steps'], v['raw'], v['startedAt'], v['endedAt'], v['now'], v['cancel'], this.channel, this.owner],
    );
  }

  async get(provider: string, runId: string): Promise<JournalRun | undefined> {
    const rows = await this.q('SELECT * FROM runs WHERE provider = $1 AND run_id = $2', [provider, runId]);
    return rows[0] ? rowToRun(rows[0]) : undefined;
  }

  async list(q: RunQuery): Promise<{ runs: JournalRun[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown): string => (params.push(v), `$${params.length}`);
    if (q.provider) where.push(`provider = ${p(q.provider)}`);
    if (q.workflowId) where.push(`workflow_id = ${p(q.workflowId)}`);
    if (q.status) where.push(`status = ${p(q.status)}`);
    if (q.startedBy !== undefined) where.push(`started_by = ${p(q.startedBy)}`);
    if (q.cursor) {
      const [c, pr, r] = decodeCursor(q.cursor);
      //: the same byte order as SQLite, so both backends page identically.
      where.push(`(created_at, provider, run_id) < (${p(c)}, ${p(pr)}, ${p(r)})`);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, provider DESC, run_id DESC LIMIT ${p(q.limit + 1)}`;
    const rows = await this.q(sql, params);
    const runs = rows.slice(0, q.limit).map(rowToRun);
    const last = runs[runs.length - 1];
    return { runs, nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  }

  async unfinished(): Promise<JournalRun[]> {
    return (await this.q(`SELECT * FROM runs WHERE ${UNFINISHED_SQL} ORDER BY created_at`)).map(rowToRun);
  }

  async requestCancel(provider: string, runId: string, now: string): Promise<void> {
    const rows = await this.q(`UPDATE runs SET cancel_requested = 1, updated_at = $3 WHERE provider = $1 AND run_id = $2 RETURNING owner`, [provider, runId, now]);
    if (rows[0]) await this.signal({ kind: 'cancel', provider, runId, owner: rows[0]['owner'] as string | null });
  }

  async cancelRequests(owner: string): Promise<Array<{ provider: string; runId: string }>> {
    const rows = await this.q(`SELECT provider, run_id FROM runs WHERE owner = $1 AND cancel_requested = 1 AND ${UNFINISHED_SQL}`, [owner]);
    return rows.map((r) => ({ provider: String(r['provider']), runId: String(r['run_id']) }));
  }

  async prune(before: string): Promise<number> {
    const rows = await this.q(`DELETE FROM runs WHERE ended_at IS NOT NULL AND ended_at < $1 AND status IN ('completed', 'failed', 'cancelled') RETURNING 1`, [before]);
    return rows.length;
  }

  async recentRunIds(provider: string | undefined, prefix: string, limit: number, startedBy?: string): Promise<string[]> {
    const rows = await this.q(
      `SELECT run_id FROM runs WHERE ($1::text IS NULL OR provider = $1) AND ($4::text IS NULL OR started_by = $4) AND run_id LIKE $2 ESCAPE '\\' ORDER BY created_at DESC LIMIT $3`,
      [provider ?? null, `${prefix.replace(/[\\%_]/g, '\\$&')}%`, limit, startedBy ?? null],
    );
    return rows.map((r) => String(r['run_id']));
  }

  async check(): Promise<StoreCheck[]> {
    return this.db.check();
  }

  async renewLease(ttlMs: number): Promise<boolean> {
    const rows = await this.q(
      `WITH old AS (SELECT lease_until > now() AS held FROM replicas WHERE owner = $1),
         up AS (INSERT INTO replicas (owner, lease_until) VALUES ($1, now() + $2 * interval '1 millisecond')
                ON CONFLICT (owner) DO UPDATE SET lease_until = EXCLUDED.lease_until)
       SELECT (SELECT held FROM old) AS held`,
      [this.owner, ttlMs],
    );
    return rows[0]?.['held'] !== false;
  }

  async isAlive(owner: string | null): Promise<boolean> {
    if (!owner) return false;
    if (owner === this.owner) return true;
    return (await this.q('SELECT 1 FROM replicas WHERE owner = $1 AND lease_until > now()', [owner])).length > 0;
  }

  async releaseLease(): Promise<void> {
    await this.q('DELETE FROM replicas WHERE owner = $1', [this.owner]);
  }

  /** Unfinished runs whose owner holds no lease now (database time, so replicas' clocks do not matter). */
  async orphans(): Promise<JournalRun[]> {
    const rows = await this.q(
      `SELECT r.* FROM runs r LEFT JOIN replicas l ON l.owner = r.owner AND l.lease_until > now()
       WHERE r.${UNFINISHED_SQL} AND r.owner IS DISTINCT FROM $1 AND l.owner IS NULL ORDER BY r.created_at`,
      [this.owner],
    );
    return rows.map(rowToRun);
  }

  async claim(run: JournalRun, now: string): Promise<boolean> {
    const rows = await this.q(
      `UPDATE runs SET owner = $3, updated_at = $4 WHERE provider = $1 AND run_id = $2 AND owner IS NOT DISTINCT FROM $5 AND ${UNFINISHED_SQL} RETURNING 1`,
      [run.provider, run.runId, this.owner, now, run.owner],
    );
    return rows.length === 1;
  }

  async signal(s: RunSignal): Promise<void> {
    const wire: Wire = extend(s, { from: this.owner });
    await this.q('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(wire)]);
  }

  onSignal(listener: (s: RunSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onResync(listener: () => void): () => void {
    return this.db.listener.onReconnect(listener);
  }

  async close(): Promise<void> {
    ownerClosed(this.owner);
    this.stopListening?.();
    this.listeners.clear();
  }

  private heard(payload: string): void {
    let s: Wire;
    try {
      s = JSON.parse(payload) as Wire;
    } catch {
      return;
    }
    if (s.from === this.owner) return;
    for (const l of this.listeners) l(s);
  }

  /** One query; a lost database becomes an error the model can act on, not a driver stack. */
  private async q(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    try {
      return (await this.db.pool.query(sql, params)).rows as Array<Record<string, unknown>>;
    } catch (err) {
      if (isConnectionError(err)) {
        throw new WorkflowError('connection', 'The run journal database is not reachable right now; the server keeps trying to reconnect. Try again in a few seconds.', { detail: describePgError(err), cause: err });
      }
      throw err;
    }
  }
}
