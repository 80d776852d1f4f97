import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WorkflowError } from '../../src/core/errors.js';
import { RateGate } from '../../src/http/gate.js';
import { ProviderError } from '../../src/http/errors.js';
import { CortexClient, nextPage } from '../../src/providers/cortex/client.js';
import { reset } from '../fakes/cortex/fixtures.js';
import { FakeCortex } from '../fakes/cortex/server.js';

let fake: FakeCortex;
before(async () => {
  fake = await new FakeCortex().start();
});
after(() => fake.close());
beforeEach(() => reset(fake));

/** A gate on a clock that moves only when someone waits: waits are recorded, not slept. */
function fakeGate(perMinute = 500) {
  let t = 1_000_000;
  const waits: number[] = [];
  const gate = new RateGate({ perMinute, now: () => t, sleep: async (ms) => void (waits.push(ms), (t += ms)) });
  return { gate, waits };
}

const drain = async (body: AsyncIterable<Uint8Array>): Promise<string> => {
  let s = '';
  for await (const piece of body) s += Buffer.from(piece).toString('utf8');
  return s;
};

describe('cortex client against the fake (contract)', () => {
  it('every one of the fifteen endpoints, with Bearer auth under app c', async () => {
    const c = new CortexClient({ apiKey: fake.key, baseUrl: fake.url, sleep: async () => {} });
    assert.equal((await c.listWorkflows('own')).length, 4);
    assert.deepEqual((await c.listWorkflows('discover')).map((w) => w.id), ['wf_shared']);
    assert.equal((await c.getWorkflow('own', 'wf_sum')).version?.version, 2);
    assert.equal((await c.getWorkflow('discover', 'wf_shared')).name, 'Shared Translator');
    assert.deepEqual((await c.listVersions('wf_sum')).map((v) => v.version), [1, 2]);
    assert.equal((await c.getVersion('own', 'wf_sum', '1')).id, 'ver_sum_1');
    assert.equal((await c.getVersion('discover', 'wf_shared', 'ver_tr_3')).version, 3);
    const blocking = JSON.parse(await drain((await c.startRun('own', 'wf_sum', { input: { text: 'a' } }, [])).body));
    assert.equal(blocking.status, 'COMPLETED');
    assert.deepEqual(blocking.result, { summary: 'short' });
    const background = JSON.parse(await drain((await c.startRun('discover', 'wf_shared', { input: { text: 'a' }, background: true }, [])).body));
    assert.match(background.status, /PENDING|RUNNING/);
    assert.equal((await c.cancel('discover', 'wf_shared', background.id)).status, 'CANCELLED');
    const streamed = await c.startRun('own', 'wf_sum', { input: { text: 'b' }, stream: true }, []);
    assert.match(streamed.contentType, /text\/event-stream/);
    assert.match(await drain(streamed.body), /^event: run\ndata: .*"status":"RUNNING"/);
    assert.equal((await c.getRun('wf_sum', blocking.id)).status, 'COMPLETED');
    const page = await c.listRuns('wf_sum', { take: 1, status: 'COMPLETED' });
    assert.equal(page.runs.length, 1);
    assert.equal(page.next, 2);
    const replayed = JSON.parse(await drain((await c.replay('wf_sum', blocking.id, { stepKey: 'finish' })).body));
    assert.equal(replayed.status, 'COMPLETED');
    const bg = JSON.parse(await drain((await c.startRun('own', 'wf_sum', { input: { text: 'c' }, background: true }, [])).body));
    assert.equal((await c.cancel('own', 'wf_sum', bg.id)).status, 'CANCELLED');
    assert.deepEqual((await c.setRetention('wf_sum', blocking.id, -1)).retention, -1);
    assert.deepEqual(Object.keys(fake.calls).sort(), ['cancel', 'get', 'get-run', 'list', 'list-runs', 'replay', 'retention', 'start', 'version', 'versions']);
    assert.deepEqual(fake.unexpected, []);
  });

  it('an explicit app id is used in the path; a wrong key is a clear auth error', async () => {
    const c = new CortexClient({ apiKey: fake.key, appId: fake.appId, baseUrl: fake.url });
    assert.equal((await c.listWorkflows('own')).length, 4);
    const bad = new CortexClient({ apiKey: 'nope-nope-nope-nope', baseUrl: fake.url });
    await assert.rejects(bad.getWorkflow('own', 'wf_sum'), (err: ProviderError) => err.code === 'auth' && /401/.test(err.message) && !err.message.includes('nope-nope'));
  });

  it('validation errors name the fields, from the {status, message, errors[]} body', async () => {
    const c = new CortexClient({ apiKey: fake.key, baseUrl: fake.url });
    await assert.rejects(c.startRun('own', 'wf_sum', { input: {}, stream: true }, []), (err: ProviderError) => err.code === 'invalid' && /Invalid input \(input\.text: Required\)/.test(err.message));
  });

  it('reads retry on 5xx; a start is never repeated after a 5xx', async () => {
    const c = new CortexClient({ apiKey: fake.key, baseUrl: fake.url, sleep: async () => {} });
    fake.fail('versions', { status: 503 });
    assert.equal((await c.listVersions('wf_sum')).length, 2);
    assert.equal(fake.calls['versions'], 2);
    fake.fail('start', { status: 502 });
    await assert.rejects(c.startRun('own', 'wf_sum', { input: { text: 'x' } }, []), (err: ProviderError) => err.status === 502 && err.code === 'outcome_unknown');
    assert.equal(fake.calls['start'], 1);
  });

  it('a 429 pauses every later request until Retry-After has passed, not only the one that got it', async () => {
    const { gate, waits } = fakeGate();
    const c = new CortexClient({ apiKey: fake.key, baseUrl: fake.url, gate, maxRetries: 0 });
    fake.fail('get', { status: 429, retryAfter: '2' });
    await assert.rejects(c.getWorkflow('own', 'wf_sum'), (err: ProviderError) => err.code === 'rate_limited');
    assert.equal((await c.getVersion('own', 'wf_sum', '2')).version, 2);
    assert.deepEqual(waits, [2000], 'the next, different request waited out the Retry-After');
  });

  it('reads every page of a list, whatever its length, a few pages at once', async () => {
    const many = Array.from({ length: 123 }, (_, i) => ({ id: `w${i}`, name: `W ${i}`, scope: 'own' as const, deployed: 1, versions: [] }));
    reset(fake, many);
    const c = new CortexClient({ apiKey: fake.key, baseUrl: fake.url });
    const all = await c.listWorkflows('own');
    assert.deepEqual(all.map((w) => w.id), many.map((w) => w.id));
    assert.equal(fake.calls['list'], 3, '123 items at 50 a page');
    assert.ok(fake.queries.every((q) => q.get('take') === '50'));
    assert.equal(fake.queries[0]!.get('page'), null, 'the first page is the server default, whatever its base');
  });
});

describe('cortex paging and the rate gate (pure)', () => {
  const h = (page: number, take: number, count: number) => ({ 'pagination-page': String(page), 'pagination-take': String(take), 'pagination-count': String(count) });
  it('stops on a short page or when page*take >= count, for 1-based and 0-based servers', () => {
    assert.equal(nextPage(h(1, 20, 45), 20, 20), 2);
    assert.equal(nextPage(h(3, 20, 45), 20, 5), null, 'short page');
    assert.equal(nextPage(h(2, 20, 40), 20, 20), null, '1-based: the last full page');
    assert.equal(nextPage(h(0, 20, 40), 20, 20), 1, '0-based: more to come');
    assert.equal(nextPage(h(1, 20, 40), 20, 20), 2, '0-based: the rule asks once more; that page comes back empty (short) and ends it');
    assert.equal(nextPage({}, 50, 50), null, 'no paging headers: the list came whole');
    assert.equal(nextPage(h(1, 20, 0), 20, 0), null);
  });

  it('lets a burst of the per-minute allowance through, then paces; fails fast when the wait is too long', async () => {
    const { gate, waits } = fakeGate(3);
    for (let i = 0; i < 3; i++) await gate.take('x', 60_000);
    assert.deepEqual(waits, []);
    await gate.take('x', 60_000);
    assert.deepEqual(waits, [20_000], 'one request every 20 s at 3 a minute');
    gate.pause(120_000);
    await assert.rejects(gate.take('read a run', 30_000), (err: WorkflowError) => err.code === 'rate_limited' && /again in 120 s/.test(err.message));
  });
});

