import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CreateTaskOptions } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import type { Database } from '../state/database.js';
import type { ClaimedTask, RunRef, TaskBackend } from './tasks.js';

const TERMINAL = `('completed', 'failed', 'cancelled')`;
const PAGE = 10;
const STOPPED_MESSAGE = 'The workflows-mcp server handling this task stopped before it started a run.';
/** Expired tasks are deleted by whoever creates this many tasks. */
const SWEEP_EVERY = 100;

interface TaskRow {
  task_id: string;
  status: Task['status'];
  status_message: string | null;
  ttl_ms: string | null;
  poll_interval_ms: number | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'task_id, status, status_message, ttl_ms::text AS ttl_ms, poll_interval_ms, created_at, updated_at';
/** A task a caller may see: not expired, and of its session when both have one (as the SDK's own store). */
const VISIBLE = '(expires_at IS NULL OR expires_at > now()) AND (session_id IS NULL OR $2::text IS NULL OR session_id = $2)';

/**
 * MCP tasks in PostgreSQL: any replica reads a task's status and result, and `tasks/cancel` on
 * any replica reaches the one running it (NOTIFY in the statement that cancels). A task lives
 * for its TTL after it was created, and again after it ended — the SDK's own rule.
 */
export class PgTaskBackend implements TaskBackend {
  private readonly cancelled = new EventEmitter().setMaxListeners(0);
  private readonly channel: string;
  private stopListening: () => void = () => {};
  private created = 0;

  private constructor(private readonly db: Database) {
    this.channel = db.channel('wm_task_cancelled');
  }

  static async open(db: Database): Promise<PgTaskBackend> {
    const backend = new PgTaskBackend(db);
    backend.stopListening = await db.listener.listen(backend.channel, (taskId) => backend.cancelled.emit('cancelled', taskId));
    return backend;
  }

  async createTask(params: CreateTaskOptions, requestId: RequestId, request: Request, sessionId?: string, owner?: string): Promise<Task> {
    if (++this.created % SWEEP_EVERY === 0) await this.db.pool.query('DELETE FROM mcp_tasks WHERE expires_at <= now()');
    const ttl = params.ttl ?? null;
    const { rows } = await this.db.pool.query<TaskRow>(
      `INSERT INTO mcp_tasks (task_id, session_id, status, ttl_ms, poll_interval_ms, request_id, request, created_at, updated_at, expires_at, owner)
       VALUES ($1, $2, 'working', $3, $4, $5, $6, now(), now(), CASE WHEN $3::bigint IS NULL THEN NULL ELSE now() + $3::bigint * interval '1 millisecond' END, $7)
       RETURNING ${COLUMNS}`,
      [randomBytes(16).toString('hex'), sessionId ?? null, ttl, params.pollInterval ?? 1000, JSON.stringify(requestId), JSON.stringify(request), owner ?? null],
    );
    return toTask(rows[0]!);
  }

  async getTask(taskId: string, sessionId?: string): Promise<Task | null> {
    const { rows } = await this.db.pool.query<TaskRow>(`SELECT ${COLUMNS} FROM mcp_tasks WHERE task_id = $1 AND ${VISIBLE}`, [taskId, sessionId ?? null]);
    return rows[0] ? toTask(rows[0]) : null;
  }

  async storeTaskResult(taskId: string, status: 'completed' | 'failed', result: Result, sessionId?: string): Promise<void> {
    const { rowCount } = await this.db.pool.query(
      `UPDATE mcp_tasks SET status = $3, result = $4, updated_at = now(),
         expires_at = CASE WHEN ttl_ms IS NULL THEN NULL ELSE now() + ttl_ms * interval '1 millisecond' END
       WHERE task_id = $1 AND ${VISIBLE} AND status NOT IN ${TERMINAL}`,
      [taskId, sessionId ?? null, status, JSON.stringify(result)],
    );
    if (!rowCount) await this.refuse(taskId, sessionId, 'store a result for');
  }

  async getTaskResult(taskId: string, sessionId?: string): Promise<Result> {
    const { rows } = await this.db.pool.query<{ result: string | null }>(`SELECT result FROM mcp_tasks WHERE task_id = $1 AND ${VISIBLE}`, [taskId, sessionId ?? null]);
    if (!rows[0]) throw new Error(`Task with ID ${taskId} not found`);
    if (rows[0].result === null) throw new Error(`Task ${taskId} has no result stored`);
    return JSON.parse(rows[0].result) as Result;
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    const { rowCount } = await this.db.pool.query(
      `WITH t AS (
         UPDATE mcp_tasks SET status = $3, status_message = coalesce($4, status_message), updated_at = now(),
           expires_at = CASE WHEN $3 IN ${TERMINAL} AND ttl_ms IS NOT NULL THEN now() + ttl_ms * interval '1 millisecond' ELSE expires_at END
         WHERE task_id = $1 AND ${VISIBLE} AND status NOT IN ${TERMINAL} RETURNING task_id)
       SELECT CASE WHEN $3 = 'cancelled' THEN pg_notify($5, task_id) END FROM t`,
      [taskId, sessionId ?? null, status, statusMessage ?? null, this.channel],
    );
    if (!rowCount) await this.refuse(taskId, sessionId, `move to '${status}'`);
  }

  async listTasks(cursor?: string, sessionId?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const { rows } = await this.db.pool.query<TaskRow>(
      `SELECT ${COLUMNS} FROM mcp_tasks WHERE ($1::text IS NULL OR (created_at, task_id) > (SELECT created_at, task_id FROM mcp_tasks WHERE task_id = $1)) AND ${VISIBLE}
       ORDER BY created_at, task_id LIMIT ${PAGE + 1}`,
      [cursor ?? null, sessionId ?? null],
    );
    const tasks = rows.slice(0, PAGE).map(toTask);
    return { tasks, ...(rows.length > PAGE ? { nextCursor: tasks.at(-1)!.taskId } : {}) };
  }

  async linkRun(taskId: string, run: RunRef, owner: string): Promise<void> {
    await this.db.pool.query(`UPDATE mcp_tasks SET run_provider = $2, run_id = $3, owner = $4 WHERE task_id = $1 AND status = 'working'`, [taskId, run.provider, run.runId, owner]);
  }

  async claimRunTasks(run: RunRef, owner: string): Promise<ClaimedTask[]> {
    const { rows } = await this.db.pool.query<{ task_id: string; ttl_ms: string | null; created_at: Date }>(
      `UPDATE mcp_tasks SET owner = $3 WHERE run_provider = $1 AND run_id = $2 AND status = 'working' AND (expires_at IS NULL OR expires_at > now())
       RETURNING task_id, ttl_ms::text AS ttl_ms, created_at`,
      [run.provider, run.runId, owner],
    );
    return rows.map((r) => ({ taskId: r.task_id, ttl: r.ttl_ms === null ? null : Number(r.ttl_ms), createdAt: r.created_at.toISOString() }));
  }

  /**
   * A task's replica is gone when its lease (the run journal's \`replicas\` table, in the same
   * database) has lapsed; a task of a gone replica that has a run is taken by the run's adopter.
   */
  async failOrphans(result: Result): Promise<number> {
    const { rowCount } = await this.db.pool.query(
      `UPDATE mcp_tasks t SET status = 'failed', status_message = $1, result = $2, updated_at = now(),
         expires_at = CASE WHEN ttl_ms IS NULL THEN NULL ELSE now() + ttl_ms * interval '1 millisecond' END
       WHERE status = 'working' AND run_id IS NULL AND owner IS NOT NULL AND (expires_at IS NULL OR expires_at > now())
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.owner = t.owner AND r.lease_until > now())`,
      [STOPPED_MESSAGE, JSON.stringify(result)],
    );
    return rowCount ?? 0;
  }

  onCancelled(listener: (taskId: string) => void): () => void {
    this.cancelled.on('cancelled', listener);
    return () => void this.cancelled.off('cancelled', listener);
  }

  async close(): Promise<void> {
    this.stopListening();
    this.cancelled.removeAllListeners();
  }

  /** The SDK's messages for a change that cannot be made: no such task, or it has ended. */
  private async refuse(taskId: string, sessionId: string | undefined, what: string): Promise<never> {
    const task = await this.getTask(taskId, sessionId);
    if (!task) throw new Error(`Task with ID ${taskId} not found`);
    throw new Error(`Cannot ${what} task ${taskId} in terminal status '${task.status}'.`);
  }
}

function toTask(r: TaskRow): Task {
  return {
    taskId: r.task_id, status: r.status, ...(r.status_message === null ? {} : { statusMessage: r.status_message }),
    ttl: r.ttl_ms === null ? null : Number(r.ttl_ms), createdAt: r.created_at.toISOString(), lastUpdatedAt: r.updated_at.toISOString(),
    ...(r.poll_interval_ms === null ? {} : { pollInterval: r.poll_interval_ms }),
  };
}
