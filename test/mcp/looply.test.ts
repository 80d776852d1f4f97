import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { envelope, startHarness, text, until, type Harness } from '../helpers/harness.js';

let fake: FakeLooply;
let h: Harness | undefined;
before(async () => {
  fake = await new FakeLooply().start();
});
after(() => fake.close());
beforeEach(() => {
  fake.workflows.length = 0;
  fake.executions.clear();
  fake.knobs.failures.length = 0;
  fake.knobs.latencyMs = 0;
  fake.knobs.eventLog = 'none';
  fake.knobs.details = 'full';
  fake.triggers.length = 0;
  for (const k of Object.keys(fake.calls)) delete fake.calls[k];
  fake.workflows.push(
    { workflow_id: 'wf-approve', workflow_name: 'Approve Invoice', workflow_version: 1, workflow_status: 'ACTIVE', latest: false, workflow_mock_payload: { invoice: 'INV-1', amount: 120.5 }, states: ['start', 'wait_for_response_state', 'book_state', 'end'], output: { booked: true } },
    { workflow_id: 'wf-approve', workflow_name: 'Approve Invoice', workflow_version: 2, workflow_status: 'ACTIVE', latest: true, workflow_mock_payload: { invoice: 'INV-1', amount: 120.5, currency: 'EUR' }, states: ['start', 'wait_for_response_state', 'book_state', 'end'], output: { booked: true } },
    { workflow_id: 'wf-approve', workflow_name: 'Approve Invoice', workflow_version: 3, workflow_status: 'DRAFT', latest: false },
    { workflow_id: 'wf-enrich', workflow_name: 'Enrich Lead', workflow_version: 4, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] }, states: ['start', 'lookup_state', 'score_state', 'end'], output: { score: 87 } },
    { workflow_id: 'wf-card', workflow_name: 'Send Card', workflow_version: 2, workflow_status: 'ACTIVE', latest: true, workflow_mock_payload: { to: 'ann' }, states: ['start_state', 'build_card_state', 'send_card_state'], output: { sent: true } },
  );
});
afterEach(async () => {
  assert.deepEqual(fake.unexpected, [], 'the fake saw requests it does not expect');
  await h?.close();
  h = undefined;
});

const env = () => ({ LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url });
/** Moves the fake's executions on in the background, as a real platform would. */
function autoAdvance(ms = 150): () => void {
  const t = setInterval(() => fake.advance(1), ms);
  return () => clearInterval(t);
}

describe('looply through MCP', () => {
  it('lists every ACTIVE version as a tool, with the schema or one derived from the mock payload', async () => {
    h = await startHarness({ env: env() });
    const tools = (await h.client.listTools()).tools;
    const names = tools.map((t) => t.name).filter((n) => n.startsWith('looply_'));
    assert.deepEqual(names.sort(), ['looply_approve_invoice', 'looply_approve_invoice_v1', 'looply_approve_invoice_v2', 'looply_enrich_lead', 'looply_enrich_lead_v4', 'looply_send_card', 'looply_send_card_v2']);
    const approve = tools.find((t) => t.name === 'looply_approve_invoice')!;
    assert.deepEqual(Object.keys(approve.inputSchema.properties ?? {}), ['invoice', 'amount', 'currency']);
    assert.match(approve.description!, /Example payload.*INV-1/);
    assert.deepEqual(tools.find((t) => t.name === 'looply_enrich_lead')!.inputSchema.required, ['email']);
    assert.ok(tools.some((t) => t.name === 'resume_run') && tools.some((t) => t.name === 'set_schedule'));
  });

  it('runs a workflow to the end with progress naming the states; one trigger', async () => {
    h = await startHarness({ env: env() });
    const stop = autoAdvance();
    try {
      const seen: string[] = [];
      const r = await h.call('looply_enrich_lead', { email: 'a@b.c' }, { onprogress: (p: Progress) => void seen.push(p.message ?? '') });
      const e = envelope(r);
      assert.equal(e['status'], 'completed');
      assert.deepEqual(e['output'], { score: 87 });
      assert.equal(e['version'], '4');
      assert.ok(seen.some((m) => m.includes('state "')), seen.join('\n'));
      assert.equal(fake.calls['POST triggerworkflow'], 1);
      const bad = await h.call('looply_enrich_lead', { email: 7 });
      assert.equal(bad.isError, true);
      assert.equal(fake.calls['POST triggerworkflow'], 1, 'no trigger for bad arguments');
      const detail = JSON.parse(((await h.client.readResource({ uri: e['run_uri'] as string })).contents[0] as { text: string }).text);
      assert.ok(detail.steps.length >= 3, 'condensed_logs become steps');
    } finally {
      stop();
    }
  });

  it('a run ending in an ordinary last state is completed with ended_at after started_at, whatever the event log says', async () => {
    h = await startHarness({ env: env() });
    const stop = autoAdvance(100);
    try {
      for (const [style, details] of [['none', 'full'], ['unknown', 'full'], ['sfn', 'full'], ['none', 'empty'], ['unknown', 'empty']] as const) {
        fake.knobs.eventLog = style;
        fake.knobs.details = details;
        const r = await h.call('looply_send_card', { to: `${style}-${details}` });
        const e = envelope(r);
        assert.equal(e['status'], 'completed', `${style}/${details}: ${text(r)}`);
        assert.deepEqual(e['output'], { sent: true });
        assert.ok(Date.parse(e['ended_at'] as string) > Date.parse(e['started_at'] as string), `${style}/${details}: ended ${e['ended_at']} after started ${e['started_at']}`);
      }
      assert.equal(fake.calls['GET getWorkflowById'], 1, 'the structure of an ACTIVE version is read once, and only when the execution does not carry it');
    } finally {
      stop();
    }
  });

  it('an output whose state the structure does not know stays running, and the run says why instead of guessing', async () => {
    // The structure names states other than those the execution reports.
    fake.workflows.push({ workflow_id: 'wf-odd', workflow_name: 'Odd', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, states: ['start_state', 'renamed_state'], structureStates: ['Start', 'Send card'], output: { sent: 1 } });
    h = await startHarness({ env: env(), flags: { waitSeconds: 0 } });
    const e = envelope(await h.call('looply_odd', {}));
    fake.advance(1);
    let run: { message: string | null; status: string } | undefined;
    for (let i = 0; i < 250 && !/whether "renamed_state" is the last state is not known.*stateMap/.test(String(run?.message)); i++) {
      await new Promise((r) => setTimeout(r, 20));
      run = await h.app.deps.tracker.get('looply', e['run_id'] as string);
    }
    assert.match(String(run?.message), /whether "renamed_state" is the last state is not known.*stateMap/);
    assert.equal(run!.status, 'running');
  });

  it('doctor points at recent runs that look finished (output, no state change for an hour) but are not recognised', async () => {
    fake.workflows.push({ workflow_id: 'wf-odd', workflow_name: 'Odd', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, states: ['start_state', 'renamed_state'], structureStates: ['Start', 'Send card'], output: { sent: 1 } });
    h = await startHarness({ env: env() });
    const { LooplyClient } = await import('../../src/providers/looply/client.js');
    const direct = new LooplyClient({ apiKey: fake.key, baseUrl: fake.url });
    fake.now = Date.now() - 3 * 3600_000;
    const old = (await direct.trigger('wf-odd', 1, {})).looply_execution_id;
    await direct.trigger('wf-card', 2, {});
    fake.advance(5);
    fake.now = Date.now();
    await direct.trigger('wf-odd', 1, {});
    fake.advance(5); // ended just now: not stale yet
    const checks = await h.app.deps.catalog.provider('looply')!.check();
    const runs = checks.find((c) => c.name === 'looply runs')!;
    assert.equal(runs.ok, false);
    assert.match(runs.message, new RegExp(`1 recent run\\(s\\).*${old} \\(state "renamed_state"\\).*stateMap`));
  });

  it('a run that waits for a person ends the call with status waiting; resume_run moves it on to the end', async () => {
    h = await startHarness({ env: env() });
    const stop = autoAdvance();
    try {
      const r = await h.call('looply_approve_invoice', { invoice: 'INV-9', amount: 10 });
      const e = envelope(r);
      assert.equal(e['status'], 'waiting');
      assert.equal(r.isError, undefined);
      assert.match(text(r), /resume_run.*"run_id": "ex-/);
      const resumed = await h.call('resume_run', { provider: 'looply', run_id: e['run_id'] as string, payload: { approved: true } });
      assert.equal(envelope(resumed)['status'], 'completed', text(resumed));
      assert.deepEqual(envelope(resumed)['output'], { booked: true });
      const again = await h.call('resume_run', { provider: 'looply', run_id: e['run_id'] as string, payload: {} });
      assert.equal(again.isError, true);
      assert.match(text(again), /not waiting/);
    } finally {
      stop();
    }
  });

  it('cancel terminates the execution on Looply', async () => {
    h = await startHarness({ env: env(), flags: { waitSeconds: 0 } });
    const e = envelope(await h.call('looply_enrich_lead', { email: 'x@y.z' }));
    assert.equal(e['status'], 'running');
    const c = await h.call('cancel_run', { provider: 'looply', run_id: e['run_id'] as string });
    assert.equal(envelope(c)['status'], 'cancelled', text(c));
    assert.equal(fake.calls['POST terminateWorkflow'], 1);
    assert.ok(fake.executions.get(e['run_id'] as string)!.terminated);
  });

  it('a trigger whose response is lost is not retried: the tool says the outcome is unknown', async () => {
    h = await startHarness({ env: env() });
    fake.fail('POST triggerworkflow', 'reset');
    const r = await h.call('looply_enrich_lead', { email: 'a@b.c' });
    assert.equal(r.isError, true);
    assert.match(text(r), /may or may not have started.*list_runs.*recent runs were searched: none/s);
    assert.equal(fake.calls['POST triggerworkflow'], 1);
  });

  it('a trigger answered with non-JSON or reset after it started is never re-sent: the execution is found and adopted', async () => {
    fake.now = Date.now(); // the platform's clock: the run must date from after the call
    h = await startHarness({ env: env() });
    const stop = setInterval(() => (fake.advance(1, 0), (fake.now = Date.now())), 100);
    try {
      for (const after of ['junk', 'reset', 502] as const) {
        fake.fail('POST triggerworkflow', { after });
        const r = await h.call('looply_send_card', { to: `lost-${after}` });
        const e = envelope(r);
        assert.equal(e['status'], 'completed', `${after}: ${text(r)}`);
        assert.deepEqual(e['output'], { sent: true });
        assert.equal(e['run_id'], [...fake.executions.keys()].at(-1), `${after}: the execution Looply started`);
      }
      assert.equal(fake.calls['POST triggerworkflow'], 3, 'one trigger per call');
    } finally {
      clearInterval(stop);
    }
  });

  it('list_runs and the history resource merge the Looply history with the journal, paging both', async () => {
    h = await startHarness({ env: env(), flags: { waitSeconds: 0 } });
    const ours = envelope(await h.call('looply_enrich_lead', { email: 'a@b.c' }));
    const { LooplyClient } = await import('../../src/providers/looply/client.js');
    const direct = new LooplyClient({ apiKey: fake.key, baseUrl: fake.url });
    for (let i = 0; i < 34; i++) await direct.trigger('wf-enrich', 4, { email: `other${i}@x.y` });
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = envelope(await h.call('list_runs', { provider: 'looply', limit: 20, ...(cursor ? { cursor } : {}) })) as { runs: Array<{ run_id: string }>; next_cursor: string | null };
      for (const r of page.runs) {
        assert.ok(!seen.has(r.run_id), `run ${r.run_id} listed twice`);
        seen.add(r.run_id);
      }
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(seen.size, 35, 'every run once: ours and the 34 started elsewhere');
    await h.close();
    // Org-wide: Looply's lastKey names the last row's workflow; page 2 holds other workflows' runs.
    h = await startHarness({ env: env(), flags: { waitSeconds: 0 } });
    for (let i = 0; i < 25; i++) await direct.trigger('wf-card', 2, { to: `p${i}` });
    const org = new Set<string>();
    let orgCursor: string | undefined;
    let orgPages = 0;
    do {
      const page = envelope(await h.call('list_runs', { provider: 'looply', limit: 20, ...(orgCursor ? { cursor: orgCursor } : {}) })) as { runs: Array<{ run_id: string }>; next_cursor: string | null };
      for (const r of page.runs) org.add(r.run_id);
      orgCursor = page.next_cursor ?? undefined;
      orgPages++;
    } while (orgCursor && orgPages < 10);
    assert.equal(org.size, 60, 'every run of every workflow once');
    assert.ok([...org].some((id) => id.endsWith('wf-enrich')) && [...org].some((id) => id.endsWith('wf-card')));
    assert.ok(seen.has(ours['run_id'] as string));
    const hist = JSON.parse(((await h.client.readResource({ uri: 'workflows://workflows/looply/wf-enrich/runs' })).contents[0] as { text: string }).text);
    assert.ok(hist.runs.length >= 30);
  });

  it('with a configured profile, tools take an optional profile argument sent as the query, not in the payload', async () => {
    h = await startHarness({ env: env(), configFile: { providers: { looply: { apiKey: fake.key, baseUrl: fake.url, profile: 'production' } } } });
    const tool = (await h.client.listTools()).tools.find((t) => t.name === 'looply_enrich_lead')!;
    assert.ok((tool.inputSchema.properties as Record<string, unknown>)['profile']);
    const stop = autoAdvance();
    try {
      await h.call('looply_enrich_lead', { email: 'a@b.c', profile: 'staging' });
      await h.call('looply_enrich_lead', { email: 'd@e.f' });
    } finally {
      stop();
    }
    assert.deepEqual(fake.triggers, [{ profile: 'staging', body: { email: 'a@b.c' } }, { profile: 'production', body: { email: 'd@e.f' } }]);
  });

  it('a 10,000-field mock payload and a schema that is not JSON Schema still give a usable tool list', async () => {
    fake.workflows.push({ workflow_id: 'wf-huge', workflow_name: 'Huge', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: 'not a schema', workflow_mock_payload: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`field_${i}`, i])) });
    h = await startHarness({ env: env() });
    const huge = (await h.client.listTools()).tools.find((t) => t.name === 'looply_huge')!;
    assert.equal(Object.keys(huge.inputSchema.properties ?? {}).length, 500);
    assert.ok(huge.description!.length < 3000);
  });

  it('a slow platform does not hold up serving: local tools at once, Looply tools announced when they arrive', { timeout: 30_000 }, async () => {
    fake.knobs.latencyMs = 6500;
    const started = Date.now();
    h = await startHarness({ env: env(), live: true, files: { 'echo.workflow.mjs': "export default { name: 'Echo', run: (i) => i };" } });
    assert.ok(Date.now() - started < 6000, `started in ${Date.now() - started} ms`);
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('local_echo') && !names.some((n) => n.startsWith('looply_')));
    let changed = false;
    h.client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema, async () => void (changed = true));
    await until(() => changed, 20_000, 'list_changed for the Looply tools');
    // Tools are published as they are read (at most once a second): the first announcement may carry only some.
    await until(async () => (await h!.client.listTools()).tools.some((t) => t.name === 'looply_enrich_lead'), 20_000, 'looply_enrich_lead listed');
    fake.knobs.latencyMs = 0;
  });

  it('set_schedule pauses a schedule; the key appears in no result or log line', async () => {
    h = await startHarness({ env: env() });
    const r = await h.call('set_schedule', { workflow_id: 'wf-approve', version: '2', action: 'pause' });
    assert.match(text(r), /PAUSED/);
    const everything = JSON.stringify(r) + h.logs.join('') + JSON.stringify(await h.client.listTools());
    assert.ok(!everything.includes(fake.key));
  });

  it('a refused key keeps the server up with a clear log line; doctor says the key was refused', async () => {
    h = await startHarness({ env: { LOOPLY_API_KEY: 'wrong-key-abcdef', LOOPLY_BASE_URL: fake.url } });
    assert.ok(h.logs.some((l) => /looply: could not list workflows .*403/.test(l)), h.logs.join(''));
    const checks = await h.app.deps.catalog.provider('looply')!.check();
    assert.equal(checks[0]!.message, 'the Looply API key was refused (403); check LOOPLY_API_KEY');
    await until(() => true);
  });
});
