import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Run } from '../../src/providers/types.js';
import { SqliteRunStore } from '../../src/runs/journal-sqlite.js';
import type { JournalRun } from '../../src/runs/journal.js';
import { tempDir, until } from '../helpers/harness.js';

const AT = '2026-01-01T00:00:00.000Z';
function run(id: string, over: Partial<Run> = {}): Run {
  return { provider: 'local', workflowId: 'w', version: '1', runId: id, status: 'running', input: { a: 1 }, output: null, error: null, createdAt: AT, startedAt: AT, endedAt: null, ...over };
}
function ended(r: Run): JournalRun {
  return { ...r, status: 'completed', output: { ok: true }, endedAt: AT, updatedAt: AT, owner: 'me:1', cancelRequested: false, message: null, steps: [], startedBy: null };
}

describe('SQLite journal writes (counted, not timed)', () => {
  it('writes made in one turn of the event loop share one transaction; each promise resolves once it is committed', async () => {
    const j = SqliteRunStore.open(join(tempDir(), 'runs.db'));
    const before = j.writes;
    await Promise.all(Array.from({ length: 32 }, (_, i) => j.insert(run(`r${i}`), 'me:1', AT)));
    assert.deepEqual(j.writes, { transactions: before.transactions + 1, statements: before.statements + 32 });
    await Promise.all(Array.from({ length: 32 }, (_, i) => j.update(ended(run(`r${i}`)), AT)));
    assert.deepEqual(j.writes, { transactions: before.transactions + 2, statements: before.statements + 64 });
    assert.equal((await j.list({ limit: 100, status: 'completed' })).runs.length, 32);
    await j.close();
  });

  it('commits are at least the spacing apart: a write after a quiet spell commits at the end of its turn, the writes of the next turns share one', async () => {
    const j = SqliteRunStore.open(join(tempDir(), 'runs.db'), { commitSpacingMs: 300 });
    const before = j.writes;
    await j.insert(run('first'), 'me:1', AT);
    assert.deepEqual(j.writes, { transactions: before.transactions + 1, statements: before.statements + 1 }, 'at once: nothing was committed for a while');
    const later: Array<Promise<void>> = [];
    for (let turn = 0; turn < 3; turn++) {
      later.push(j.insert(run(`turn${turn}`), 'me:1', AT));
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(j.writes, { transactions: before.transactions + 1, statements: before.statements + 1 }, 'not yet: within the spacing');
    await Promise.all(later);
    assert.deepEqual(j.writes, { transactions: before.transactions + 2, statements: before.statements + 4 }, 'three turns, one commit');
    await j.close();
  });

  it('a read sees every write made before it, even one not yet awaited', async () => {
    const j = SqliteRunStore.open(join(tempDir(), 'runs.db'));
    const inserted = j.insert(run('early'), 'me:1', AT);
    assert.equal((await j.get('local', 'early'))?.status, 'running');
    const updated = j.update(ended(run('early')), AT);
    assert.equal((await j.list({ limit: 5 })).runs[0]?.status, 'completed');
    await Promise.all([inserted, updated]);
    await j.close();
  });

  it('a write that fails inside a shared transaction fails alone; the others land', async () => {
    const j = SqliteRunStore.open(join(tempDir(), 'runs.db'));
    const results = await Promise.allSettled([j.insert(run('good1'), 'me:1', AT), j.insert(run('bad', { createdAt: null as unknown as string }), 'me:1', AT), j.insert(run('good2'), 'me:1', AT)]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /NOT NULL/);
    assert.deepEqual((await j.list({ limit: 5 })).runs.map((r) => r.runId).sort(), ['good1', 'good2']);
    await j.close();
  });

  it('WAL checkpoints run on a thread: the WAL stays small while the main connection only keeps a backstop', async () => {
    const dir = tempDir();
    const j = SqliteRunStore.open(join(dir, 'runs.db'), { commitSpacingMs: 0 }); // a commit per write, as many as can be
    for (let round = 1; round <= 8; round++) {
      for (let i = 0; i < 50; i++) {
        await j.insert(run(`s${round}-${i}`), 'me:1', AT);
        await j.update(ended(run(`s${round}-${i}`)), AT);
      }
      await until(() => j.checkpoints >= round, 10_000, `checkpoint ${round} on the thread`);
    }
    // 800 commits of ~5 pages each is ~16 MB of WAL without checkpoints (the main connection's own
    // threshold is 10,000 pages now); the thread keeps it to a few MB (slack for a slow machine).
    assert.ok(statSync(join(dir, 'runs.db-wal')).size < 12 * 1024 * 1024, `WAL ${statSync(join(dir, 'runs.db-wal')).size} bytes`);
    await j.close();
  });
});
