import pg from 'pg';
import { WorkflowError } from '../core/errors.js';

/** Shown wherever the URL is named: the password never is. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured URL (unparseable)';
  }
}

export interface PoolOptions {
  url: string;
  /** Connections this process may hold at once (LISTEN takes one more of its own). */
  max: number;
  /** Told about a connection that broke while idle; the pool replaces it on the next query. */
  onIdleError?: (err: Error) => void;
}

/** Connection settings from the URL, with timeouts so an unreachable server fails fast. */
export function clientConfig(url: string): pg.ClientConfig {
  return { connectionString: url, connectionTimeoutMillis: 5000, application_name: 'workflows-mcp' };
}

/**
 * Opens the pool and proves the server answers. A wrong or unreachable URL is a config error
 * (exit 2) naming `state.databaseUrl` with the password masked, never a stack trace.
 */
export async function connectPool(o: PoolOptions): Promise<pg.Pool> {
  if (!/^postgres(ql)?:\/\//.test(o.url)) throw new WorkflowError('config', `state.databaseUrl: expected a postgres:// URL, got ${maskUrl(o.url)}`);
  const pool = new pg.Pool({ ...clientConfig(o.url), max: o.max, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => o.onIdleError?.(err)); // an idle client lost: without a listener it would crash the process
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new WorkflowError('config', `state.databaseUrl: cannot use ${maskUrl(o.url)}: ${describePgError(err)}`);
  }
  return pool;
}

/** A driver error as one line, without the stack. */
export function describePgError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ECONNREFUSED') return 'connection refused (is PostgreSQL running there?)';
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return 'host not found';
  if (e?.code === '3D000') return `database does not exist (${e.message ?? ''})`;
  if (e?.code === '28P01' || e?.code === '28000') return 'authentication failed';
  return e?.message ?? String(err);
}

/** Errors that mean "the database is not reachable now" rather than "the query is wrong". */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'].includes(code)
    || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(e?.message ?? '');
}
