import Database from 'better-sqlite3';

/**
 * The one place that knows which SQLite library runs the journal file. The run store uses only
 * this small surface, so the engine (better-sqlite3 today) can change here alone.
 */
export type SqliteRow = Record<string, string | number | null>;

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): SqliteRow | undefined;
  all(...params: unknown[]): SqliteRow[];
}

export interface SqliteDb {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

export function openSqlite(path: string): SqliteDb {
  const db = new Database(path);
  return {
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
