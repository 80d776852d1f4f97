import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import type { Provider, Run, RunUpdate } from '../../src/providers/types.js';
import { SqliteRunStore } from '../../src/runs/journal-sqlite.js';
import { RunTracker } from '../../src/runs/tracker.js';
import type { JournalRun } from '../../src/runs/journal.js';
import { LAZY_INSERT_MS } from '../../src/runs/journal-writes.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { MemoryTaskBackend, RunTaskStore, type RunRef, type TaskBackend } from '../../src/mcp/tasks.js';
import { callLink, type CallLinks } from '../../src/mcp/call-links.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });

/** A provider driven by the test: `push` sends updates to whoever observes. */
function scriptedProvider(outlives = false) {
  const observers = new Map<string, (u: RunUpdate) => void>();
  let n = 0;
  const cancels: string[] = [];
  const provider: Provider = {
    name: 'fake', runsOutliveProcess: outlives,
    capabilities: { listWorkflows: true, versions: true, schema: true, cancel: true, history: false, stream: true, resume: false, replay: false, schedule: false, files: false },
    listWorkflows: async () => ({ workflows: [], problems: [] }),
    start: async (req) => ({ provider: 'fake', workflowId: req.workflow.id, version: req.version.key, runId: `f${++n}`, status: 'queued', input: req.input, output: null, error: null, createdAt: new Date().toISOString(), startedAt: null, endedAt: null }),
    observe: (run, onUpdate, signal) => new Promise<void>((resolve) => {
      observers.set(run.runId, (u) => (onUpdate(u), u.status === 'completed' || u.status === 'failed' || u.status === 'cancelled' ? resolve() : undefined));
      signal.addEventListener('abort', () => resolve());
    }),
    cancel: async (run) => (cancels.push(run.runId), observers.get(run.runId)?.({ status: 'cancelled', error: 'stopped' }), { accepted: true }),
    check: async () => [],
    close: async () => {},
  };
  return { provider, push: (id: string, u: RunUpdate) => observers.get(id)!(u), cancels };
}

/** The system clock, except that the journal's lazy-insert window passes only when the test says. */
function manualClock(): Clock & { fireLazyInsert(): void; lazyInserts(): number } {
  const windows: Array<() => void> = [];
  let opened = 0;
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      if (ms !== LAZY_INSERT_MS) return systemClock.setTimeout(fn, ms);
      opened++;
      windows.push(fn);
      return { cancel: () => void windows.splice(windows.indexOf(fn) >>> 0, 1) };
    },
    fireLazyInsert: () => windows.shift()?.(),
    lazyInserts: () => opened,
  };
}

const storedRun = (store: SqliteRunStore, runId: string) => store.get('fake', runId);

const wf = { provider: 'fake', id: 'w', name: 'W', latest: '1', versions: [{ key: '1', inputSchema: {} }] };

describe('run tracker', () => {
  it('journals a platform run at start, applies updates, ignores anything after the end', async () => {
    const journal = SqliteRunStore.open(':memory:');
    const fake = scriptedProvider(true);
    const t = new RunTracker({ store: journal, providers: new Map([['fake', fake.provider]]), log });
    const run = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: { a: 1 } });
    assert.equal((await journal.get('fake', run.runId))!.status, 'queued', 'journaled before anyone waits');
    const seen: string[] = [];
    t.onChange((r) => void seen.push(r.status));
    fake.push(run.runId, { status: 'running', message: 'step one' });
    fake.push(run.runId, { step: { key: 's1', name: 'Enrich lead', status: 'running', at: 'now' } });
    assert.equal((await t.get('fake', run.runId))!.message, 'Enrich lead');
    fake.push(run.runId, { status: 'completed', output: { ok: 1 } });
    fake.push(run.runId, { status: 'failed', error: 'late noise' });
    await t.flush();
    const stored = (await journal.get('fake', run.runId))!;
    assert.equal(stored.status, 'completed');
    assert.deepEqual(stored.output, { ok: 1 });
    assert.ok(stored.endedAt);
    assert.equal(stored.steps[0]!.name, 'Enrich lead');
    assert.deepEqual(seen, ['running', 'running', 'completed']);
  });

  it('a platform run that ends in the turn it started is journaled in one transaction; one that ends later in two (counted)', async () => {
    const journal = SqliteRunStore.open(':memory:', { commitSpacingMs: 0 }) // counted per turn;
    const fake = scriptedProvider(true);
    const t = new RunTracker({ store: journal, providers: new Map([['fake', fake.provider]]), log });
    const before = journal.writes;
    const quick = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    fake.push(quick.runId, { status: 'completed', output: { ok: 1 } }); // same turn: the insert is still queued
    assert.equal((await t.wait('fake', quick.runId, { timeoutMs: 5000 })).status, 'completed');
    await t.flush(); // an ended run's answer does not wait for its writes (SQLite: no replicas)
    assert.deepEqual(journal.writes, { transactions: before.transactions + 1, statements: before.statements + 2 });
    const slow = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    await new Promise((r) => setTimeout(r, 5));
    fake.push(slow.runId, { status: 'completed', output: { ok: 2 } });
    await t.wait('fake', slow.runId, { timeoutMs: 5000 });
    await t.flush();
    assert.deepEqual(journal.writes, { transactions: before.transactions + 3, statements: before.statements + 4 });
    assert.deepEqual([(await journal.get('fake', quick.runId))!.output, (await journal.get('fake', slow.runId))!.output], [{ ok: 1 }, { ok: 2 }]);
  });

  it(`a run in this process that ends within ${LAZY_INSERT_MS} ms is written once, as it ended; a longer one is inserted then (counted)`, async () => {
    const journal = SqliteRunStore.open(':memory:', { commitSpacingMs: 0 }) // counted per turn;
    const fake = scriptedProvider(false);
    const clock = manualClock();
    const t = new RunTracker({ store: journal, providers: new Map([['fake', fake.provider]]), log, clock });
    const start = () => t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: { a: 1 } }, 'alice');
    const before = journal.writes;
    const quick = await start();
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(await journal.get('fake', quick.runId), undefined, 'not written yet');
    assert.equal((await t.get('fake', quick.runId))!.status, 'queued', 'the tracker knows it meanwhile');
    fake.push(quick.runId, { status: 'running', message: 'thinking' });
    fake.push(quick.runId, { step: { key: 's1', name: 'Enrich lead', status: 'completed', at: 'now' } });
    fake.push(quick.runId, { status: 'completed', output: { ok: 1 } });
    await t.wait('fake', quick.runId, { timeoutMs: 5000 });
    const stored = (await journal.get('fake', quick.runId))!; // a read commits what is queued first
    assert.deepEqual(journal.writes, { transactions: before.transactions + 1, statements: before.statements + 1 }, 'one insert, no update');
    assert.deepEqual([stored.status, stored.output, stored.message, stored.steps.map((x) => x.name), stored.startedBy, stored.input], ['completed', { ok: 1 }, 'Enrich lead', ['Enrich lead'], 'alice', { a: 1 }]);
    assert.ok(stored.endedAt);

    const slow = await start();
    const slower = await start();
    fake.push(slow.runId, { status: 'running' });
    clock.fireLazyInsert();
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await journal.get('fake', slow.runId))!.status, 'running', 'inserted as it was when the window passed');
    assert.equal((await journal.get('fake', slower.runId))!.status, 'queued');
    assert.deepEqual(journal.writes, { transactions: before.transactions + 2, statements: before.statements + 3 }, 'both inserted in one transaction');
    fake.push(slow.runId, { status: 'completed', output: { ok: 2 } });
    await t.wait('fake', slow.runId, { timeoutMs: 5000 });
    assert.deepEqual((await journal.get('fake', slow.runId))!.output, { ok: 2 });
    assert.equal(clock.lazyInserts(), 1, 'the window the first run opened served the later ones');
  });

  it('a run in this process is listed, flushed and closed with even before its window passes', async () => {
    const journal = SqliteRunStore.open(':memory:');
    const fake = scriptedProvider(false);
    const t = new RunTracker({ store: journal, providers: new Map([['fake', fake.provider]]), log, clock: manualClock() });
    const listed = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    assert.deepEqual((await t.list({ limit: 10 })).runs.map((r) => r.runId), [listed.runId]);
    const flushed = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    await t.flush();
    assert.equal((await journal.get('fake', flushed.runId))!.status, 'queued');
    const closed = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    await t.close(10);
    await t.flush();
    assert.equal((await journal.get('fake', closed.runId))!.status, 'failed', 'ended by the close, and recorded');
  });

  it('before another replica is told of a run (a task\'s or a waiting call\'s link), the run is recorded, even inside its window', async () => {
    const journal = SqliteRunStore.open(':memory:');
    const fake = scriptedProvider(false);
    const t = new RunTracker({ store: journal, providers: new Map([['fake', fake.provider]]), log, clock: manualClock() });
    const inJournalAtLink: Array<string | undefined> = [];
    const seen = async (run: RunRef): Promise<void> => void inJournalAtLink.push((await journal.get(run.provider, run.runId))?.status);
    const backend: TaskBackend = Object.assign(new MemoryTaskBackend(), { linkRun: (_taskId: string, run: RunRef) => seen(run) });
    const tasks = new RunTaskStore(backend, t.owner, (run) => t.recorded(run.provider, run.runId));
    const forTask = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    await tasks.linkRun('task-1', forTask);
    const links: CallLinks = { link: (call) => seen(call), unlink: async () => {} };
    const forCall = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    const link = callLink(links, { sessionId: 's', streamId: 'st', requestId: 1, progressToken: undefined, principal: 'p' }, t.owner, log, (p, id) => t.recorded(p, id));
    link.onRun(forCall, 60_000);
    await t.flush();
    assert.deepEqual(inJournalAtLink, ['queued', 'queued'], 'both runs were in the journal when linked, and the window never passed');
    await t.recorded('fake', 'not-live'); // a run this process does not follow: nothing to wait for
  });

  it('an ended run is answered before its writes land unless replicas share the store; a run still going is recorded at once and answered then', async () => {
    const soon = <T>(p: Promise<T>): Promise<T | 'held'> => Promise.race([p, new Promise<'held'>((r) => setTimeout(() => r('held'), 50))]);
    for (const shared of [false, true]) {
      const inner = SqliteRunStore.open(':memory:');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      // The journal, with inserts held at the gate and replicas sharing it or not.
      const store = new Proxy(inner, {
        get: (target, prop, receiver) => {
          if (prop === 'sharedByReplicas') return shared;
          if (prop === 'insert') return async (...a: Parameters<SqliteRunStore['insert']>) => (await gate, target.insert(...a));
          const value = Reflect.get(target, prop, receiver) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const fake = scriptedProvider(false);
      const clock = manualClock();
      const t = new RunTracker({ store, providers: new Map([['fake', fake.provider]]), log, clock });
      const ended = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
      fake.push(ended.runId, { status: 'completed', output: { ok: 1 } });
      const answer = t.wait('fake', ended.runId, { timeoutMs: 5000 });
      assert.equal(await soon(answer.then((r) => r.status)), shared ? 'held' : 'completed', shared ? 'replicas: after the write' : 'one host: at once');
      const going = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
      const handedOut = t.wait('fake', going.runId, { timeoutMs: 0 });
      assert.equal(await soon(handedOut), 'held', 'a run handed out still going waits for its record');
      release(); // and is recorded at once: its lazy-insert window never passes here
      assert.equal(((await soon(handedOut)) as JournalRun).status, 'queued');
      assert.equal((await storedRun(inner, going.runId))?.status, 'queued', 'in the journal when answered');
      assert.equal((await answer).status, 'completed');
      await t.close(10);
    }
  });

  it('wait returns the run as it is at the timeout, and at once when settled', async () => {
    const fake = scriptedProvider();
    const t = new RunTracker({ store: SqliteRunStore.open(':memory:'), providers: new Map([['fake', fake.provider]]), log });
    const run = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    const early = await t.wait('fake', run.runId, { timeoutMs: 30 });
    assert.equal(early.status, 'queued');
    setTimeout(() => fake.push(run.runId, { status: 'waiting' }), 10);
    assert.equal((await t.wait('fake', run.runId, { timeoutMs: 5000 })).status, 'waiting', 'waiting settles a wait');
    await assert.rejects(t.wait('fake', 'nope', { timeoutMs: 1 }), /list_runs/);
  });

  it('on start: adopts platform runs of stopped owners; marks their in-process runs failed; leaves live owners alone', async () => {
    const journal = SqliteRunStore.open(':memory:');
    const host = (await import('node:os')).hostname();
    const base: Run = { provider: 'fake', workflowId: 'w', runId: 'x', status: 'running', input: {}, output: null, error: null, createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, endedAt: null };
    await journal.insert({ ...base, runId: 'dead' }, 'nohost-that-exists:1', 'now');
    await journal.insert({ ...base, runId: 'deadpid' }, `${host}:999999`, 'now');
    await journal.insert({ ...base, runId: 'alive' }, `${host}:${process.ppid}`, 'now');
    const local = scriptedProvider(false);
    await new RunTracker({ store: journal, providers: new Map([['fake', local.provider]]), log }).recover();
    assert.equal((await journal.get('fake', 'deadpid'))!.status, 'failed');
    assert.equal((await journal.get('fake', 'deadpid'))!.error, `server stopped while the run was in progress (the workflows-mcp server running it, ${host}:999999, is gone; a run inside a server cannot move to another)`);
    assert.equal((await journal.get('fake', 'alive'))!.status, 'running', 'its process is alive');
    assert.equal((await journal.get('fake', 'dead'))!.status, 'running', 'another host: cannot tell, so left alone');
    await journal.insert({ ...base, runId: 'remote' }, `${host}:999998`, 'now');
    const remote = scriptedProvider(true);
    const t = new RunTracker({ store: journal, providers: new Map([['fake', remote.provider]]), log });
    assert.equal(await t.recover(), 1, 'only the run of the stopped process is adopted');
    assert.equal((await journal.get('fake', 'remote'))!.owner, journal.owner, 'claimed');
    remote.push('remote', { status: 'completed', output: 1 });
    await t.flush();
    assert.equal((await journal.get('fake', 'remote'))!.status, 'completed');
    assert.equal(await t.recover(), 0, 'a claimed run is not adopted twice');
    await t.close(10);
  });

  it('cancel asks the provider, and close ends in-process runs honestly', async () => {
    const fake = scriptedProvider();
    const journal = SqliteRunStore.open(':memory:');
    const t = new RunTracker({ store: journal, providers: new Map([['fake', fake.provider]]), log });
    const a = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    const { run, note } = await t.cancel('fake', a.runId);
    assert.equal(run.status, 'cancelled');
    assert.equal(note, 'Cancelled.');
    assert.deepEqual(fake.cancels, [a.runId]);
    const b = await t.start(fake.provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    await t.close(10);
    assert.equal((await journal.get('fake', b.runId))!.status, 'failed');
  });
});

describe('run watcher', () => {
  it('a push that ends before the run does is followed by polling, and only then', async () => {
    const journal = SqliteRunStore.open(':memory:');
    const fake = scriptedProvider(true);
    let polls = 0;
    const provider: Provider = {
      ...fake.provider,
      // The stream says "running", then breaks off.
      observe: async (_run, onUpdate) => onUpdate({ status: 'running', message: 'step one' }),
      poll: async () => (polls++, { status: 'completed', output: { from: 'poll' } }),
      pollSchedule: { firstMs: 1, factor: 1, capMs: 1, waitingMs: 1 },
    };
    const t = new RunTracker({ store: journal, providers: new Map([['fake', provider]]), log });
    const run = await t.start(provider, { workflow: wf, version: wf.versions[0]!, input: {} });
    const done = await t.wait('fake', run.runId, { timeoutMs: 5000 });
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.output, { from: 'poll' });
    assert.equal(polls, 1);
    const pushedToEnd: Provider = { ...provider, observe: async (_r, onUpdate) => onUpdate({ status: 'completed', output: { from: 'push' } }) };
    polls = 0;
    const t2 = new RunTracker({ store: journal, providers: new Map([['fake', pushedToEnd]]), log });
    const r2 = await t2.start(pushedToEnd, { workflow: wf, version: wf.versions[0]!, input: {} });
    assert.deepEqual((await t2.wait('fake', r2.runId, { timeoutMs: 5000 })).output, { from: 'push' });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(polls, 0, 'no poll after a push that saw the end');
  });
});
