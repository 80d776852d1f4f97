import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Run } from '../../src/providers/types.js';
import { SqliteRunStore } from '../../src/runs/journal-sqlite.js';
import { openSqlite } from '../../src/runs/sqlite-engine.js';
import { tempDir } from '../helpers/harness.js';
import { storeBackends } from '../helpers/stores.js';

function run(id: string, at: string): Run {
  return { provider: 'local', workflowId: 'w', version: '1', runId: id, status: 'completed', input: {}, output: null, error: null, createdAt: at, startedAt: at, endedAt: at };
}

/** The journal as it was before runs recorded who started them. */
const OLD_SCHEMA = `CREATE TABLE runs (
  provider TEXT NOT NULL, run_id TEXT NOT NULL, workflow_id TEXT NOT NULL, version TEXT,
  status TEXT NOT NULL, input TEXT, output TEXT, error TEXT, message TEXT, steps TEXT, raw TEXT,
  created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, updated_at TEXT NOT NULL,
  owner TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (provider, run_id));`;

for (const b of await storeBackends()) {
  describe(`run store (${b.name}): who started each run`, { skip: b.skip }, () => {
    it('records started_by, filters lists and completion by it', async () => {
      const store = await b.open(await b.place());
      await store.insert(run('a1', '2026-01-01T00:00:01.000Z'), 'h:1', 'now', 'iss#alice');
      await store.insert(run('b1', '2026-01-01T00:00:02.000Z'), 'h:1', 'now', 'iss#bob');
      await store.insert(run('a2', '2026-01-01T00:00:03.000Z'), 'h:1', 'now', 'iss#alice');
      assert.equal((await store.get('local', 'b1'))!.startedBy, 'iss#bob');
      assert.deepEqual((await store.list({ limit: 10, startedBy: 'iss#alice' })).runs.map((r) => r.runId), ['a2', 'a1']);
      assert.deepEqual((await store.list({ limit: 10 })).runs.map((r) => r.runId), ['a2', 'b1', 'a1']);
      const page = await store.list({ limit: 1, startedBy: 'iss#alice' });
      assert.deepEqual((await store.list({ limit: 1, startedBy: 'iss#alice', cursor: page.nextCursor! })).runs.map((r) => r.runId), ['a1'], 'paging stays within the principal');
      assert.deepEqual(await store.recentRunIds('local', '', 10, 'iss#bob'), ['b1']);
      assert.deepEqual(await store.recentRunIds(undefined, 'a', 10), ['a2', 'a1']);
    });
  });
}

describe('run store (sqlite): journals from before principals', () => {
  it('an old runs.db without the column keeps working: the column is added, old runs have no owner', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'runs.db');
    const old = openSqlite(path);
    old.exec(OLD_SCHEMA);
    old.prepare(`INSERT INTO runs (provider, run_id, workflow_id, status, created_at, updated_at) VALUES ('local', 'old-1', 'w', 'completed', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`).run();
    old.close();
    let store = SqliteRunStore.open(path);
    assert.equal((await store.get('local', 'old-1'))!.startedBy, null);
    await store.insert(run('new-1', '2026-01-01T00:00:00.000Z'), 'h:1', 'now', 'token');
    assert.deepEqual((await store.list({ limit: 10, startedBy: 'token' })).runs.map((r) => r.runId), ['new-1']);
    await store.close();
    store = SqliteRunStore.open(path); // a second open finds the column there
    assert.deepEqual((await store.list({ limit: 10 })).runs.map((r) => [r.runId, r.startedBy]), [['new-1', 'token'], ['old-1', null]]);
    await store.close();
  });
});
