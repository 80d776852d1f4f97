import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { WorkflowError } from '../core/errors.js';

/**
 * The one place that knows which SQLite library runs the journal file: Node's built-in
 * `node:sqlite` where it is unflagged (Node ≥ 22.13, 23.4), else the optional `better-sqlite3`
 * (Node 20), loaded only when needed. Both read and write the same file format; the store sets WAL
 * and the busy timeout with PRAGMAs, which both honour, so processes on either engine share a file.
 * Statements are prepared once per SQL text and reused.
 */
export type SqliteRow = Record<string, string | number | null>;

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): SqliteRow | undefined;
  all(...params: unknown[]): SqliteRow[];
}

export interface SqliteEngine {
  name: 'node:sqlite' | 'better-sqlite3';
  /** Why this engine, in words for doctor and logs. */
  why: string;
}

export interface SqliteDb {
  readonly engine: SqliteEngine;
  /** Real prepares and cache hits since open: the same SQL text is prepared once. */
  readonly statements: { prepared: number; reused: number };
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/** Past this many distinct SQL texts the oldest statement is dropped (list queries vary by filter). */
const STATEMENT_CACHE_SIZE = 64;
const NODE_SQLITE_FROM = 'Node ≥ 22.13';

const require = createRequire(import.meta.url);

interface NodeSqliteStatement {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface NodeSqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): NodeSqliteStatement;
  close(): void;
}
type NodeSqlite = { DatabaseSync: new (path: string) => NodeSqliteDatabase };
type Opened = { prepare(sql: string): SqliteStatement; exec(sql: string): void; close(): void; engine: SqliteEngine };

let nodeSqlite: NodeSqlite | null | undefined;

/** `node:sqlite` when this Node has it without a flag; its ExperimentalWarning (and only that) is not printed. */
function loadNodeSqlite(): NodeSqlite | null {
  if (nodeSqlite !== undefined) return nodeSqlite;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' && /sqlite/i.test(typeof warning === 'string' ? warning : warning.message)) return;
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    nodeSqlite = require('node:sqlite') as NodeSqlite;
  } catch {
    nodeSqlite = null; // Node 20, or 22.5–22.12 where it still needs --experimental-sqlite
  } finally {
    process.emitWarning = emitWarning;
  }
  return nodeSqlite;
}

function openNodeSqlite(mod: NodeSqlite, path: string): Opened {
  const db = new mod.DatabaseSync(path);
  return {
    engine: { name: 'node:sqlite', why: `built into Node ${process.version}` },
    exec: (sql) => db.exec(sql),
    prepare: (sql) => {
      const st = db.prepare(sql);
      return {
        run: (...p) => ({ changes: Number(st.run(...p).changes) }),
        get: (...p) => st.get(...p) as SqliteRow | undefined,
        all: (...p) => st.all(...p) as SqliteRow[],
      };
    },
    close: () => db.close(),
  };
}

function openBetterSqlite(path: string): Opened {
  let Database: typeof BetterSqlite3;
  const without = `Node ${process.version} has no built-in node:sqlite (it needs ${NODE_SQLITE_FROM})`;
  try {
    Database = require('better-sqlite3') as typeof BetterSqlite3;
    new Database(':memory:').close(); // loads the compiled addon, which require alone does not
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /better-sqlite3/.test((err as Error).message);
    throw new WorkflowError(
      'config',
      missing
        ? `No SQLite engine: ${without}, and the optional dependency better-sqlite3 is not installed (or did not build). Use ${NODE_SQLITE_FROM}, or run \`npm install better-sqlite3\` where workflows-mcp is installed.`
        : `No SQLite engine: ${without}, and better-sqlite3 is installed but does not load (${(err as Error).message.split('\n')[0]}). Build it for this Node with \`npm rebuild better-sqlite3\` where workflows-mcp is installed (its install script must be allowed to run), or use ${NODE_SQLITE_FROM}.`,
    );
  }
  const version = (require('better-sqlite3/package.json') as { version: string }).version;
  const db = new Database(path);
  return {
    engine: { name: 'better-sqlite3', why: `better-sqlite3 ${version}, as ${without}` },
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => {
      const st = db.prepare(sql);
      return {
        run: (...p) => ({ changes: st.run(...p).changes }),
        get: (...p) => st.get(...p) as SqliteRow | undefined,
        all: (...p) => st.all(...p) as SqliteRow[],
      };
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** Which engine `openSqlite` would use here, without opening anything. */
export function sqliteEngineName(): SqliteEngine['name'] {
  return loadNodeSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

export function openSqlite(path: string): SqliteDb {
  const mod = loadNodeSqlite();
  const opened = mod ? openNodeSqlite(mod, path) : openBetterSqlite(path);
  const cache = new Map<string, SqliteStatement>();
  const statements = { prepared: 0, reused: 0 };
  let open = true;
  return {
    engine: opened.engine,
    statements,
    exec: (sql) => opened.exec(sql),
    prepare: (sql) => {
      const hit = cache.get(sql);
      if (hit) return (statements.reused++, hit);
      const st = opened.prepare(sql);
      statements.prepared++;
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(sql, st);
      return st;
    },
    close: () => {
      if (!open) return;
      open = false;
      cache.clear();
      opened.close();
    },
  };
}
