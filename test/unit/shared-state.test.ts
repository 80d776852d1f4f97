import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PgBuckets } from '../../src/http/shared-rate.js';
import { PgTaskBackend } from '../../src/mcp/tasks-pg.js';
import { LOCAL_PRINCIPAL } from '../../src/mcp/principal.js';
import { PgSessionStore } from '../../src/serve/session-store-pg.js';
import { EVENTS_PER_SESSION } from '../../src/serve/session-store.js';
import { until } from '../helpers/harness.js';
import { pgUnavailable } from '../helpers/pg.js';
import { pgReplicas } from '../helpers/state.js';

const skip = (await pgUnavailable()) ?? false;
const pg = pgReplicas();
after(() => pg.drop());
const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };

describe('shared state in PostgreSQL, seen by two replicas', { skip }, () => {
  it('request budgets: both replicas together get the burst, then must wait', async () => {
    const [a, b] = [new PgBuckets(await pg.open()), new PgBuckets(await pg.open())];
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) waits.push(await (i % 2 ? a : b).take('test:slow', 0.1, 5)); // one token per 10 s
    assert.deepEqual(waits.slice(0, 5), [0, 0, 0, 0, 0], 'the burst');
    assert.ok(waits.slice(5).every((w) => w > 5000), `then the refill rate, for both: ${waits.join(',')}`);
  });

  it('tasks: cancelled through one replica, the other hears it; a terminal task refuses changes', async () => {
    const [a, b] = [await PgTaskBackend.open(await pg.open()), await PgTaskBackend.open(await pg.open())];
    const heard: string[] = [];
    b.onCancelled((id) => heard.push(id));
    const task = await a.createTask({ ttl: 60_000, pollInterval: 500 }, 1, { method: 'tools/call', params: {} }, 's1');
    assert.equal((await b.getTask(task.taskId, 's1'))?.status, 'working');
    assert.equal(await b.getTask(task.taskId, 'another-session'), null, 'tasks of another session are not seen');
    await a.updateTaskStatus(task.taskId, 'cancelled', 'stop', 's1');
    await until(() => heard.includes(task.taskId), 5000, 'the cancellation to reach the other replica');
    await assert.rejects(b.storeTaskResult(task.taskId, 'completed', { content: [] }, 's1'), /terminal/);
    const done = await b.createTask({ ttl: null }, 2, { method: 'tools/call', params: {} });
    await b.storeTaskResult(done.taskId, 'completed', { content: [{ type: 'text', text: 'ok' }] });
    assert.deepEqual(await a.getTaskResult(done.taskId), { content: [{ type: 'text', text: 'ok' }] });
    await Promise.all([a.close(), b.close()]);
  });

  it("tasks of a stopped replica: the run's adopter claims those with a run; those without one are failed, saying why", async () => {
    const db = await pg.open();
    const tasks = await PgTaskBackend.open(db);
    await db.pool.query(`INSERT INTO replicas (owner, lease_until) VALUES ('alive', now() + interval '1 minute'), ('gone', now() - interval '1 second')`);
    const create = (owner: string, id: number) => tasks.createTask({ ttl: 60_000 }, id, { method: 'tools/call', params: {} }, undefined, owner);
    const [noRun, alive, withRun] = [await create('gone', 1), await create('alive', 2), await create('gone', 3)];
    await tasks.linkRun(withRun.taskId, { provider: 'looply', runId: 'r1' }, 'gone');
    const stopped = { content: [{ type: 'text' as const, text: 'stopped' }], isError: true };
    assert.equal(await tasks.failOrphans(stopped), 1);
    assert.equal((await tasks.getTask(noRun.taskId))?.status, 'failed');
    assert.match(String((await tasks.getTask(noRun.taskId))?.statusMessage), /stopped before it started a run/);
    assert.deepEqual(await tasks.getTaskResult(noRun.taskId), stopped);
    assert.equal((await tasks.getTask(alive.taskId))?.status, 'working', "a live replica's task is left alone");
    assert.equal((await tasks.getTask(withRun.taskId))?.status, 'working', 'a task with a run waits for its adopter');
    assert.deepEqual(await tasks.claimRunTasks({ provider: 'looply', runId: 'other' }, 'b'), []);
    const claimed = await tasks.claimRunTasks({ provider: 'looply', runId: 'r1' }, 'b');
    assert.deepEqual(claimed.map((t) => [t.taskId, t.ttl]), [[withRun.taskId, 60_000]]);
    assert.equal((await db.pool.query('SELECT owner FROM mcp_tasks WHERE task_id = $1', [withRun.taskId])).rows[0].owner, 'b');
    await tasks.close();
  });

  it('sessions: events are bounded per session and go with it; an end is heard by the other replica', async () => {
    const [a, b] = [await PgSessionStore.open(await pg.open()), await PgSessionStore.open(await pg.open())];
    await a.create({ id: 'sess-1', principal: LOCAL_PRINCIPAL, init: INIT, lastSeen: Date.now() });
    let last = '';
    for (let i = 0; i < EVENTS_PER_SESSION + 150; i++) last = await a.appendEvent('sess-1', 'st', { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: i } });
    const kept = await b.eventsAfter('sess-1', 'st', null, 10_000);
    assert.ok(kept.length <= EVENTS_PER_SESSION + 100 && kept.length >= EVENTS_PER_SESSION, `kept ${kept.length}`);
    assert.equal(kept.at(-1)?.id, last);
    assert.equal(await b.streamOf('sess-1', last), 'st');
    assert.equal(await b.streamOf('sess-2', last), null, 'another session cannot name this event');
    const ended: string[] = [];
    b.onEnded((id) => ended.push(id));
    assert.equal(await a.end('sess-1'), true);
    await until(() => ended.includes('sess-1'), 5000, 'the end to reach the other replica');
    assert.deepEqual(await b.eventsAfter('sess-1', 'st', null, 10), []);
    assert.equal(await a.appendEvent('sess-1', 'st', { jsonrpc: '2.0', method: 'x' }), '0', 'an ended session keeps nothing');
    await a.create({ id: 'old', principal: LOCAL_PRINCIPAL, init: INIT, lastSeen: Date.now() - 3_600_000 });
    assert.equal(await b.expire(Date.now() - 60_000), 1);
    assert.equal(await a.get('old'), null);
    await Promise.all([a.close(), b.close()]);
  });
});
