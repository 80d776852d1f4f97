import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { FakeLeap } from '../fakes/leap/server.js';
import { envelope, startHarness, text, until, type Harness } from '../helpers/harness.js';

let fake: FakeLeap;
let h: Harness | undefined;
before(async () => {
  fake = await new FakeLeap().start();
});
after(() => fake.close());
beforeEach(() => {
  fake.runs.clear();
  fake.starts.length = 0;
  fake.deliveries.length = 0;
  fake.webhook = 'normal';
});
afterEach(async () => {
  assert.deepEqual(fake.unexpected, []);
  await h?.close();
  h = undefined;
});

const WORKFLOWS = [
  { id: 'wkf_summarize12345', name: 'Summarize Article', description: 'Summarizes a web article.', inputSchema: { type: 'object', properties: { url: { type: 'string', format: 'uri' } }, required: ['url'] } },
  { id: 'wkfv2_free0123456', name: 'Free Form' },
];
const config = (webhooks: boolean) => ({ providers: { leap: { apiKey: fake.key, baseUrl: fake.url, workflows: WORKFLOWS } }, ...(webhooks ? { webhooks: { port: 0 } } : {}) });
function autoAdvance(ms = 200): () => void {
  const t = setInterval(() => void fake.advance(), ms);
  return () => clearInterval(t);
}

describe('leap through MCP', () => {
  it('lists the configured workflows with their schemas (no per-version tools; open schema said so)', async () => {
    h = await startHarness({ configFile: config(false) });
    const tools = (await h.client.listTools()).tools.filter((t) => t.name.startsWith('leap_'));
    assert.deepEqual(tools.map((t) => t.name).sort(), ['leap_free_form', 'leap_summarize_article']);
    assert.deepEqual(tools.find((t) => t.name === 'leap_summarize_article')!.inputSchema.required, ['url']);
    assert.match(tools.find((t) => t.name === 'leap_free_form')!.description!, /no input schema/);
  });

  it('runs to the end by polling, sending `input` once; v2 workflows go to /v2', async () => {
    h = await startHarness({ configFile: config(false) });
    const stop = autoAdvance();
    try {
      const r = await h.call('leap_summarize_article', { url: 'https://example.com/a' });
      assert.equal(envelope(r)['status'], 'completed', text(r));
      assert.match(JSON.stringify(envelope(r)['output']), /done rnp_/);
      const v2 = await h.call('leap_free_form', { anything: 1 });
      assert.match(envelope(v2)['run_id'] as string, /^runv2_/);
      assert.equal(envelope(v2)['status'], 'completed');
      assert.match(JSON.stringify(envelope(v2)['output']), /done runv2_/, 'a v2 run answers in `result`');
      assert.equal(fake.starts.length, 2);
      assert.deepEqual(fake.starts[0]!.body, { workflow_id: 'wkf_summarize12345', input: { url: 'https://example.com/a' } });
      const bad = await h.call('leap_summarize_article', { url: 'not a url' });
      assert.equal(bad.isError, true);
      assert.equal(fake.starts.length, 2, 'no start for bad arguments');
    } finally {
      stop();
    }
  });

  it('a webhook ends the wait at once, long before the slow fallback poll', async () => {
    h = await startHarness({ configFile: config(true), live: true });
    const stop = autoAdvance(150);
    try {
      const t = Date.now();
      const r = await h.call('leap_summarize_article', { url: 'https://example.com/b' });
      assert.equal(envelope(r)['status'], 'completed');
      assert.ok(Date.now() - t < 2500, `took ${Date.now() - t} ms; the fallback poll is 3 s`);
      assert.match(fake.starts[0]!.body['webhook_url'] as string, /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/leap\/[A-Za-z0-9_-]{32}$/);
      assert.deepEqual(fake.deliveries, [202]);
    } finally {
      stop();
    }
  });

  it('a forged webhook body changes nothing; a lost or repeated webhook loses nothing', async () => {
    h = await startHarness({ configFile: config(true), live: true, flags: { waitSeconds: 0 } });
    fake.webhook = 'forged';
    const e = envelope(await h.call('leap_summarize_article', { url: 'https://example.com/c' }));
    await fake.advance(); // running, with a forged "completed" webhook
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await h.app.deps.tracker.get('leap', e['run_id'] as string))!.status, 'running', 'the body was not trusted');
    await fake.advance(); // really completed; the token was used, so only polling can tell
    await until(async () => (await h!.app.deps.tracker.get('leap', e['run_id'] as string))?.status === 'completed', 15_000, 'the fallback poll');
    assert.deepEqual((await h.app.deps.tracker.get('leap', e['run_id'] as string))!.output, { summary: `done ${e['run_id'] as string}` });
    fake.webhook = 'twice';
    const second = envelope(await h.call('leap_free_form', {}));
    await fake.advance();
    await fake.advance();
    await until(async () => (await h!.app.deps.tracker.get('leap', second['run_id'] as string))?.status === 'completed', 5000, 'completion');
    assert.deepEqual(fake.deliveries.slice(-2), [202, 404], 'a used token is refused');
  });

  it('the receiver refuses unknown tokens (404) and bodies over 1 MB (413)', async () => {
    h = await startHarness({ configFile: config(true), live: true, flags: { waitSeconds: 0 } });
    await h.call('leap_free_form', {});
    const url = fake.starts[0]!.body['webhook_url'] as string;
    const base = url.slice(0, url.lastIndexOf('/'));
    assert.equal((await fetch(`${base}/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, { method: 'POST', body: '{}' })).status, 404);
    assert.equal((await fetch(url, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 10) })).status, 413);
    assert.equal((await fetch(url, { method: 'GET' })).status, 404);
  });

  it('cancel: Leap cannot cancel, the journal says so, and the run is tracked to its real end', async () => {
    h = await startHarness({ configFile: config(false), flags: { waitSeconds: 0 } });
    const e = envelope(await h.call('leap_summarize_article', { url: 'https://example.com/d' }));
    const c = await h.call('cancel_run', { provider: 'leap', run_id: e['run_id'] as string });
    assert.match(text(c), /Leap cannot cancel runs/);
    await h.app.deps.tracker.flush(); // the store is written behind the tracker's own copy
    assert.equal((await h.app.deps.tracker.store.get('leap', e['run_id'] as string))!.message, 'cancel requested; Leap cannot cancel runs; the run goes on and is watched to its real end');
    await fake.advance();
    await fake.advance();
    await until(async () => (await h!.app.deps.tracker.get('leap', e['run_id'] as string))?.status === 'completed', 10_000, 'the real end');
    assert.ok(!JSON.stringify(c).includes(fake.key) && !h.logs.join('').includes(fake.key));
  });
});
