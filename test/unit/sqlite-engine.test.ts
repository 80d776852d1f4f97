import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Run } from '../../src/providers/types.js';
import { SqliteRunStore } from '../../src/runs/journal-sqlite.js';
import { sqliteEngineName } from '../../src/runs/sqlite-engine.js';
import { tempDir } from '../helpers/harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const hasNodeSqlite = major > 23 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);

function run(id: string, at: string, over: Partial<Run> = {}): Run {
  return { provider: 'local', workflowId: 'w', version: '1', runId: id, status: 'running', input: { a: 1 }, output: null, error: null, createdAt: at, startedAt: at, endedAt: null, ...over };
}

describe('SQLite engine', () => {
  it(`is node:sqlite where Node has it unflagged, else better-sqlite3 (here: Node ${process.versions.node})`, async () => {
    assert.equal(sqliteEngineName(), hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3');
    const j = SqliteRunStore.open(join(tempDir(), 'runs.db'));
    const [check] = await j.check();
    assert.match(check!.message, hasNodeSqlite ? /SQLite engine node:sqlite: built into Node v2/ : /SQLite engine better-sqlite3: better-sqlite3 \d+\.\d+\.\d+, as Node v\S+ has no built-in node:sqlite \(it needs Node ≥ 22\.13\)/);
    await j.close();
  });

  it('prepares each statement once and reuses it (counted, not timed)', async () => {
    const j = SqliteRunStore.open(join(tempDir(), 'runs.db'));
    const round = async (i: number): Promise<void> => {
      const at = `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`;
      await j.insert(run(`r${i}`, at), 'me:1', at);
      const got = (await j.get('local', `r${i}`))!;
      await j.update({ ...got, status: 'completed', endedAt: at }, at);
      await j.list({ limit: 5 });
      await j.list({ limit: 5, workflowId: 'w' });
      await j.unfinished();
      await j.cancelRequests('me:1');
      await j.recentRunIds('local', 'r', 5);
      await j.prune('2000-01-01T00:00:00.000Z');
    };
    await round(0);
    const afterFirst = j.statements;
    for (let i = 1; i <= 50; i++) await round(i);
    const after = j.statements;
    assert.equal(after.prepared, afterFirst.prepared, 'no statement prepared again after the first round');
    assert.ok(after.reused >= afterFirst.reused + 50 * 9, `reused ${after.reused - afterFirst.reused} times`);
    assert.equal((await j.list({ limit: 100 })).runs.length, 51);
    await j.close();
  });

  it('a journal file is shared, WAL and all, with a process on the other engine (Node 20 ⇄ Node 22)', { timeout: 120_000 }, async () => {
    const path = join(tempDir(), 'state', 'runs.db');
    const here = SqliteRunStore.open(path);
    await here.insert(run('from-here', '2026-01-01T00:00:00.000Z'), 'me:1', 'now');
    const other = hasNodeSqlite ? 'node@20' : 'node@22';
    const script = `
      const { SqliteRunStore } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist/src/runs/journal-sqlite.js')).href)});
      const j = SqliteRunStore.open(${JSON.stringify(path)});
      const seen = await j.get('local', 'from-here');
      await j.insert({ provider: 'local', workflowId: 'w', runId: 'from-there', status: 'completed', input: { b: 2 }, output: { ok: 1 }, error: null, createdAt: '2026-01-01T00:00:01.000Z', startedAt: null, endedAt: '2026-01-01T00:00:01.000Z' }, null, 'now');
      process.stdout.write(JSON.stringify({ check: (await j.check())[0].message, seen: seen?.input ?? null }));
      await j.close();`;
    const child = spawn('npx', ['-y', '-p', other, 'node', '--input-type=module', '-e', script], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, err);
    const answer = JSON.parse(out) as { check: string; seen: unknown };
    assert.match(answer.check, hasNodeSqlite ? /engine better-sqlite3/ : /engine node:sqlite/);
    assert.deepEqual(answer.seen, { a: 1 });
    assert.doesNotMatch(err, /ExperimentalWarning/, 'the sqlite ExperimentalWarning is not printed');
    const back = (await here.get('local', 'from-there'))!;
    assert.deepEqual([back.status, back.input, back.output], ['completed', { b: 2 }, { ok: 1 }]);
    await here.close();
  });
});
