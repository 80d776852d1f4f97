import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { CallLinks, LinkedCall } from '../mcp/call-links.js';
import type { Database } from '../state/database.js';

interface CallRow {
  session_id: string;
  stream_id: string;
  request_id: string;
  progress_token: string | null;
  principal: string;
  run_provider: string;
  run_id: string;
  deadline_ms: string;
  budget_ms: string;
}

/**
 * Calls in flight in PostgreSQL: one INSERT when a call starts waiting on a run, one DELETE when
 * it answers. The replica that adopts a run claims the run's calls and answers them.
 */
export class PgCallLinks implements CallLinks {
  constructor(private readonly db: Database) {}

  async link(c: LinkedCall, owner: string): Promise<void> {
    try {
      await this.db.pool.query(
        `INSERT INTO mcp_calls (session_id, request_id, stream_id, progress_token, principal, run_provider, run_id, deadline_ms, budget_ms, owner)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (session_id, request_id) DO UPDATE SET stream_id = $3, progress_token = $4, principal = $5, run_provider = $6, run_id = $7, deadline_ms = $8, budget_ms = $9, owner = $10`,
        [c.sessionId, JSON.stringify(c.requestId), c.streamId, c.progressToken === undefined ? null : JSON.stringify(c.progressToken), c.principal, c.provider, c.runId, Math.round(c.deadline), Math.round(c.budgetMs), owner],
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23503') return; // the session ended meanwhile: nobody will resume it
      throw err;
    }
  }

  async unlink(sessionId: string, requestId: RequestId): Promise<void> {
    await this.db.pool.query('DELETE FROM mcp_calls WHERE session_id = $1 AND request_id = $2', [sessionId, JSON.stringify(requestId)]);
  }

  /** The calls waiting on `run` whose replica stopped, now `owner`'s to answer (it adopted the run). */
  async claim(run: { provider: string; runId: string }, owner: string): Promise<LinkedCall[]> {
    return this.claimWhere(`run_provider = $2 AND run_id = $3`, [owner, run.provider, run.runId]);
  }

  /**
   * Every call whose replica stopped, now `owner`'s: a call waiting on a run nobody adopts (it
   * ended before its replica did, or a live replica owns it: `wait_for_run` on another's run).
   */
  async claimOrphans(owner: string): Promise<LinkedCall[]> {
    return this.claimWhere('true', [owner]);
  }

  /** A call's replica is gone when its lease (the journal's `replicas` table, same database) lapsed: exactly one claimer wins. */
  private async claimWhere(where: string, params: unknown[]): Promise<LinkedCall[]> {
    const { rows } = await this.db.pool.query<CallRow>(
      `UPDATE mcp_calls c SET owner = $1 WHERE ${where} AND c.owner IS DISTINCT FROM $1
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.owner = c.owner AND r.lease_until > now())
       RETURNING session_id, stream_id, request_id, progress_token, principal, run_provider, run_id, deadline_ms::text AS deadline_ms, budget_ms::text AS budget_ms`,
      params,
    );
    return rows.map((r) => ({
      sessionId: r.session_id, streamId: r.stream_id, requestId: JSON.parse(r.request_id) as RequestId,
      progressToken: r.progress_token === null ? undefined : (JSON.parse(r.progress_token) as string | number),
      principal: r.principal, provider: r.run_provider, runId: r.run_id, deadline: Number(r.deadline_ms), budgetMs: Number(r.budget_ms),
    }));
  }
}
