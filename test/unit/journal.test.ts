import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Run } from '../../src/providers/types.js';
import type { JournalRun } from '../../src/runs/journal.js';
import { storeBackends } from '../helpers/stores.js';

function run(id: string, at: string, over: Partial<Run> = {}): Run {
  return { provider: 'local', workflowId: 'w', version: '1', runId: id, status: 'running', input: { a: 1 }, output: null, error: null, createdAt: at, startedAt: at, endedAt: null, ...over };
}

for (const b of await storeBackends()) {
  describe(`journal (${b.name})`, { skip: b.skip }, () => {
    it('persists runs across reopening, with updates', async () => {
      const place = await b.place();
      let j = await b.open(place);
      await j.insert(run('r1', '2026-01-01T00:00:00.000Z'), 'host:1', '2026-01-01T00:00:00.000Z');
      const r = (await j.get('local', 'r1'))!;
      await j.update({ ...r, status: 'completed', output: { ok: true }, endedAt: '2026-01-01T00:00:01.000Z', message: 'done', steps: [{ key: 's', status: 'completed', at: 'x' }] }, '2026-01-01T00:00:01.000Z');
      await j.close();
      j = await b.open(place);
      const back = (await j.get('local', 'r1'))!;
      assert.equal(back.status, 'completed');
      assert.deepEqual(back.output, { ok: true });
      assert.deepEqual(back.input, { a: 1 });
      assert.equal(back.owner, 'host:1');
      assert.equal(back.steps.length, 1);
      assert.equal(back.cancelRequested, false);
    });

    it('lists newest first with stable cursors and filters', async () => {
      const j = await b.open(await b.place());
      for (let i = 0; i < 5; i++) await j.insert(run(`r${i}`, `2026-01-01T00:00:0${i}.000Z`, { workflowId: i % 2 ? 'odd' : 'even' }), null, 'now');
      const p1 = await j.list({ limit: 2 });
      assert.deepEqual(p1.runs.map((r) => r.runId), ['r4', 'r3']);
      await j.insert(run('r9', '2026-01-01T00:00:09.000Z'), null, 'now'); // a new run does not shift later pages
      const p2 = await j.list({ limit: 2, cursor: p1.nextCursor! });
      assert.deepEqual(p2.runs.map((r) => r.runId), ['r2', 'r1']);
      const p3 = await j.list({ limit: 2, cursor: p2.nextCursor! });
      assert.deepEqual(p3.runs.map((r) => r.runId), ['r0']);
      assert.equal(p3.nextCursor, null);
      assert.deepEqual((await j.list({ limit: 10, workflowId: 'odd' })).runs.map((r) => r.runId), ['r3', 'r1']);
      await assert.rejects(j.list({ limit: 2, cursor: 'bad' }), /cursor/);
    });

    it('prunes only finished runs older than the cut-off; finds unfinished runs and cancel requests', async () => {
      const j = await b.open(await b.place());
      await j.insert(run('old', '2026-01-01T00:00:00.000Z', { status: 'completed', endedAt: '2026-01-01T00:00:00.000Z' }), null, 'now');
      await j.insert(run('new', '2026-03-01T00:00:00.000Z', { status: 'completed', endedAt: '2026-03-01T00:00:00.000Z' }), null, 'now');
      await j.insert(run('live', '2025-01-01T00:00:00.000Z'), 'me:1', 'now');
      assert.equal(await j.prune('2026-02-01T00:00:00.000Z'), 1);
      assert.deepEqual((await j.unfinished()).map((r: JournalRun) => r.runId), ['live']);
      await j.requestCancel('local', 'live', 'now');
      assert.deepEqual(await j.cancelRequests('me:1'), [{ provider: 'local', runId: 'live' }]);
      assert.deepEqual(await j.cancelRequests('other:2'), []);
      assert.deepEqual(await j.recentRunIds('local', 'li', 10), ['live']);
      assert.deepEqual(await j.recentRunIds(undefined, 'l_', 10), [], 'LIKE wildcards in the prefix are literal');
    });

    it('an orphan is claimed by exactly one of several processes sharing the journal', async () => {
      const place = await b.place();
      const stores = [await b.open(place), await b.open(place), await b.open(place)];
      // An owner no one can vouch for: a dead pid on this host (SQLite), no lease (PostgreSQL).
      await stores[0]!.insert(run('orphan', '2026-01-01T00:00:00.000Z'), `${(await import('node:os')).hostname()}:999999`, 'now');
      for (const s of stores) await s.renewLease(60_000);
      const found = await stores[0]!.orphans();
      assert.deepEqual(found.map((r) => r.runId), ['orphan']);
      const wins = await Promise.all(stores.map((s) => s.claim(found[0]!, 'now')));
      assert.equal(wins.filter(Boolean).length, 1);
      const winner = stores[wins.indexOf(true)]!;
      assert.equal((await winner.get('local', 'orphan'))!.owner, winner.owner);
      assert.deepEqual((await winner.orphans()).map((r) => r.runId), [], 'claimed: no longer an orphan');
      assert.equal(await stores[0]!.isAlive(winner.owner), true);
    });
  });
}
