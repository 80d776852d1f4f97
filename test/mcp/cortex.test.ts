import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { cortexFixtures, hostileWorkflow, reset } from '../fakes/cortex/fixtures.js';
import { FakeCortex } from '../fakes/cortex/server.js';
import { envelope, startHarness, text, until, type Harness } from '../helpers/harness.js';

let fake: FakeCortex;
let h: Harness | undefined;
before(async () => {
  fake = await new FakeCortex().start();
});
after(() => fake.close());
beforeEach(() => reset(fake));
afterEach(async () => {
  assert.deepEqual(fake.unexpected, [], 'the fake saw requests it does not expect');
  await h?.close();
  h = undefined;
});

const env = (): Record<string, string> => ({ CORTEX_API_KEY: fake.key, CORTEX_BASE_URL: fake.url });
const config = (extra: Record<string, unknown> = {}) => ({ providers: { cortex: { apiKey: fake.key, baseUrl: fake.url, ...extra } } });
type Tool = { name: string; inputSchema: { properties?: Record<string, Record<string, unknown>>; required?: string[] } };
const cortexTools = async (): Promise<Tool[]> => ((await h!.client.listTools()).tools as Tool[]).filter((t) => t.name.startsWith('cortex_'));
const readJson = async (uri: string) => JSON.parse(((await h!.client.readResource({ uri })).contents[0] as { text: string }).text);

describe('cortex through MCP', () => {
  it('lists each deployed workflow and every version as a tool, with schemas converted from the field map', async () => {
    h = await startHarness({ env: env() });
    const tools = await cortexTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['cortex_extract_fields', 'cortex_extract_fields_v1', 'cortex_flaky_pipeline', 'cortex_flaky_pipeline_v1', 'cortex_summarize_document', 'cortex_summarize_document_v1', 'cortex_summarize_document_v2']);
    const sum = tools.find((t) => t.name === 'cortex_summarize_document')!.inputSchema;
    assert.deepEqual(Object.keys(sum.properties!), ['text', 'tone', 'source', 'words'], 'content fields are display only');
    assert.deepEqual(sum.properties!['tone']!['enum'], ['formal', 'casual']);
    assert.equal(sum.properties!['tone']!['default'], 'formal', 'input_default folded in');
    assert.equal(sum.properties!['source']!['format'], 'uri');
    assert.equal(sum.properties!['text']!['title'], 'Text');
    assert.deepEqual(sum.required, ['text']);
    const names = (await h.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('replay_run') && names.includes('set_run_retention'));
    assert.ok(!names.includes('resume_run'), 'no provider here resumes');
    const found = envelope(await h.call('search_workflows', { query: 'docs' })) as { workflows: Array<{ workflow_id: string }> };
    assert.deepEqual(found.workflows.map((w) => w.workflow_id), ['wf_sum'], 'tags are searchable');
  });

  it('streams a run: progress names each step in order with its type and status; the result is the output', async () => {
    h = await startHarness({ env: env() });
    const seen: string[] = [];
    const r = await h.call('cortex_summarize_document', { text: 'Long text' }, { onprogress: (p: Progress) => void seen.push(p.message ?? '') });
    const e = envelope(r);
    assert.equal(e['status'], 'completed', text(r));
    assert.deepEqual(e['output'], { summary: 'short' });
    assert.equal(e['version'], '2');
    const order = ['start', 'fetch', 'summarize', 'finish'].map((k) => seen.findIndex((m) => m.includes(`step "${k}"`)));
    assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)), seen.join('\n'));
    assert.ok(seen.some((m) => m.includes('step "fetch" (http_request) running')), seen.join('\n'));
    assert.equal(fake.starts.length, 1);
    assert.deepEqual(fake.starts[0], { input: { text: 'Long text', tone: 'formal' }, workflow_version_id: 'ver_sum_2', stream: true });
    const run = await readJson(e['run_uri'] as string);
    assert.deepEqual(run.steps.map((s: { key: string; status: string }) => `${s.key}:${s.status}`), ['start:completed', 'fetch:completed', 'summarize:completed', 'finish:completed']);
    assert.equal(run.platform.steps.summarize.output.message, 'w0 w1 w2 w3 w4 ', 'each step\'s own output is kept in the run resource');
    const v1 = envelope(await h.call('cortex_summarize_document_v1', { text: 'x' }));
    assert.deepEqual(v1['output'], { summary: 'v1' });
    assert.equal(fake.starts[1]!['workflow_version_id'], 'ver_sum_1');
  });

  it('a stream that drops mid-run ends in the right envelope by polling, with exactly one run started', async () => {
    h = await startHarness({ env: env() });
    fake.knobs.dropStreamAfter = 3;
    fake.knobs.stepMs = 40;
    const r = await h.call('cortex_summarize_document', { text: 'x' });
    const e = envelope(r);
    assert.equal(e['status'], 'completed', text(r));
    assert.deepEqual(e['output'], { summary: 'short' });
    assert.equal(fake.starts.length, 1, 'never started twice');
    assert.equal(fake.runs.size, 1);
    assert.ok((fake.calls['get-run'] ?? 0) >= 1, 'the run was read instead');
    assert.ok(h.logs.some((l) => /stream ended before the run did; polling/.test(l)), h.logs.join(''));
  });

  it('a start whose answer is lost (stream cut before the run event, reset in the same write as it, junk) is found in the run list and adopted, never started twice', async () => {
    h = await startHarness({ env: env() });
    const cases: Array<[string, () => void]> = [
      ['stream cut before the first run event', () => void (fake.knobs.dropStreamAfter = 0)],
      ['reset in the same write as the first run event', () => void (fake.knobs.resetWithFirstRun = true)],
      ['an answer that is not JSON', () => void (fake.knobs.junkAfterStart = true)],
    ];
    for (const [i, [what, knob]] of cases.entries()) {
      knob();
      const r = await h.call('cortex_summarize_document', { text: `lost ${i}` });
      const e = envelope(r);
      assert.equal(e['status'], 'completed', `${what}: ${text(r)}`);
      assert.deepEqual(e['output'], { summary: 'short' });
      assert.equal(fake.starts.length, i + 1, `${what}: one start`);
      assert.equal(e['run_id'], [...fake.runs.keys()].at(-1), `${what}: the run Cortex started is the one journaled`);
    }
    assert.ok(h.logs.some((l) => /answer to a start of wf_sum was lost; adopted run/.test(l)));
  });

  it('a reset right after the first run event arrived: the run id that did arrive is kept and the run is followed by polling', async () => {
    h = await startHarness({ env: env() });
    fake.knobs.resetWithFirstRun = 'after-flush';
    fake.knobs.stepMs = 30;
    const r = await h.call('cortex_summarize_document', { text: 'reset after flush' });
    const e = envelope(r);
    assert.equal(e['status'], 'completed', text(r));
    assert.equal(e['run_id'], [...fake.runs.keys()].at(-1));
    assert.equal(fake.calls['start'], 1);
    assert.equal(fake.calls['list-runs'], undefined, 'the id came from the stream; no search was needed');
    assert.ok((fake.calls['get-run'] ?? 0) >= 1, 'followed by polling');
  });

  it('a lost start that no run in the list matches is an unknown outcome, never a second start', async () => {
    h = await startHarness({ env: env() });
    fake.fail('start', 'reset');
    const r = await h.call('cortex_summarize_document', { text: 'x' });
    assert.equal(r.isError, true);
    assert.match(text(r), /may or may not have started.*recent runs were searched: none/s);
    assert.equal(fake.calls['start'], 1);
    assert.equal(fake.runs.size, 0);
  });

  it('a run that fails mid-stream is a failed envelope naming the step', async () => {
    h = await startHarness({ env: env() });
    const r = await h.call('cortex_flaky_pipeline', {});
    assert.equal(r.isError, true);
    const e = envelope(r);
    assert.equal(e['status'], 'failed');
    assert.match(String(e['error']), /step two failed/);
  });

  it('cancel_run cancels through the cancel endpoint; the streaming call ends cancelled', async () => {
    h = await startHarness({ env: env() });
    fake.knobs.stepMs = 3000;
    let runId = '';
    const call = h.call('cortex_summarize_document', { text: 'x' }, { onprogress: (p: Progress) => void (runId ||= String((p as { _meta?: { run_id?: string } })._meta?.run_id ?? '')) });
    await until(() => runId !== '', 5000, 'the first progress');
    const c = await h.call('cancel_run', { provider: 'cortex', run_id: runId });
    assert.equal(envelope(c)['status'], 'cancelled', text(c));
    const r = await call;
    assert.equal(envelope(r)['status'], 'cancelled');
    assert.equal(fake.calls['cancel'], 1);
    assert.equal(fake.runs.get(runId)!.status, 'CANCELLED');
  });

  it('a platform that leaves the stream open after a cancel: the call still ends cancelled and the stream is closed', async () => {
    h = await startHarness({ env: env() });
    fake.knobs.stepMs = 300;
    fake.knobs.silentCancel = true;
    let runId = '';
    const call = h.call('cortex_summarize_document', { text: 'x' }, { onprogress: (p: Progress) => void (runId ||= String((p as { _meta?: { run_id?: string } })._meta?.run_id ?? '')) });
    await until(() => runId !== '', 5000, 'the first progress');
    assert.equal(envelope(await h.call('cancel_run', { provider: 'cortex', run_id: runId }))['status'], 'cancelled');
    assert.equal(envelope(await call)['status'], 'cancelled');
    await until(() => fake.streamsClosedByClient === 1, 5000, 'the client to close the stream');
    assert.ok(!h.logs.some((l) => /stream broke off/.test(l)), 'closing it on purpose is not reported as a break');
  });

  it('a client that cancels its call (notifications/cancelled) cancels the Cortex run', async () => {
    h = await startHarness({ env: env() });
    fake.knobs.stepMs = 3000;
    const ac = new AbortController();
    let runId = '';
    const call = h.call('cortex_summarize_document', { text: 'x' }, { signal: ac.signal, onprogress: (p: Progress) => void (runId ||= String((p as { _meta?: { run_id?: string } })._meta?.run_id ?? '')) });
    await until(() => runId !== '', 5000, 'the first progress');
    ac.abort();
    await assert.rejects(call);
    await until(() => fake.runs.get(runId)?.status === 'CANCELLED', 5000, 'the run cancelled at the fake');
    assert.equal(fake.calls['cancel'], 1);
    await until(async () => (await h!.app.deps.tracker.get('cortex', runId))?.status === 'cancelled', 5000, 'the journal to say cancelled');
  });

  it('replay_run starts a new run from a step (body field stepKey) and streams it', async () => {
    h = await startHarness({ env: env() });
    const first = envelope(await h.call('cortex_summarize_document', { text: 'x' }));
    const seen: string[] = [];
    const r = await h.call('replay_run', { run_id: first['run_id'], step_key: 'summarize' }, { onprogress: (p: Progress) => void seen.push(p.message ?? '') });
    const e = envelope(r);
    assert.equal(e['status'], 'completed', text(r));
    assert.notEqual(e['run_id'], first['run_id']);
    assert.deepEqual(fake.replays, [{ stepKey: 'summarize', stream: true }]);
    assert.ok(seen.some((m) => m.includes('step "summarize"')) && !seen.some((m) => m.includes('step "fetch" (http_request) running')), seen.join('\n'));
    const bad = await h.call('replay_run', { run_id: first['run_id'], step_key: 'nope' });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /400.*No step "nope"/);
  });

  it('retention: the configured default goes with every run, the retention argument overrides it, set_run_retention changes it later', async () => {
    h = await startHarness({ configFile: config({ retentionDays: 7 }) });
    const tool = (await cortexTools()).find((t) => t.name === 'cortex_summarize_document')!;
    assert.equal(tool.inputSchema.properties!['retention']!['type'], 'number');
    const a = envelope(await h.call('cortex_summarize_document', { text: 'x' }));
    await h.call('cortex_summarize_document', { text: 'y', retention: -1 });
    assert.deepEqual(fake.starts.map((s) => s['retention']), [{ max_age_in_seconds: 604800 }, -1]);
    assert.ok(!('retention' in (fake.starts[1]!['input'] as object)), 'our argument is not a workflow input');
    const r = await h.call('set_run_retention', { run_id: a['run_id'], days: 30 });
    assert.match(text(r), /30 days/);
    assert.deepEqual(fake.runs.get(a['run_id'] as string)!.retention, { max_age_in_seconds: 2592000 });
  });

  it('list_runs reads the platform history of a workflow with status and origin filters, merged with the journal', async () => {
    h = await startHarness({ env: env() });
    const ours = envelope(await h.call('cortex_summarize_document', { text: 'x' }));
    const { CortexClient } = await import('../../src/providers/cortex/client.js');
    const direct = new CortexClient({ apiKey: fake.key, baseUrl: fake.url });
    for (let i = 0; i < 25; i++) {
      const res = await direct.startRun('own', 'wf_sum', { input: { text: `t${i}` } }, []);
      for await (const _ of res.body) void _;
    }
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = envelope(await h.call('list_runs', { provider: 'cortex', workflow_id: 'wf_sum', status: 'completed', origin: 'ENDPOINT', limit: 10, ...(cursor ? { cursor } : {}) })) as { runs: Array<{ run_id: string; status: string }>; next_cursor: string | null };
      for (const r of page.runs) assert.ok(!seen.has(r.run_id) && r.status === 'completed') , seen.add(r.run_id);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    assert.equal(seen.size, 26);
    assert.ok(seen.has(ours['run_id'] as string));
    const q = fake.queries.find((x) => x.get('status'));
    assert.equal(q?.get('status'), 'COMPLETED');
    assert.equal(q?.get('origin'), 'ENDPOINT');
  });

  it('discoverable workflows (discover: true, search filter) and drafts (draft: true) only when configured', async () => {
    h = await startHarness({ configFile: config({ discover: true, draft: true, search: 'e' }) });
    const names = (await cortexTools()).map((t) => t.name);
    assert.ok(names.includes('cortex_shared_translator') && names.includes('cortex_shared_translator_v3'), names.join(' '));
    assert.ok(names.includes('cortex_never_deployed') && names.includes('cortex_summarize_document_vdraft'), names.join(' '));
    const shared = envelope(await h.call('cortex_shared_translator', { text: 'hello' }));
    assert.deepEqual(shared['output'], { text: 'hallo' });
    assert.equal(fake.calls['start'], 1);
    const draft = envelope(await h.call('cortex_never_deployed', { q: 'hmm' }));
    assert.deepEqual(draft['output'], { draft: true });
    assert.equal(fake.starts[1]!['workflow_version_id'], 'draft');
    assert.ok(fake.queries.some((q) => q.get('search') === 'e'));
  });

  it('a discoverable run whose stream breaks ends in a clear unknown envelope (Cortex cannot read it), with exactly one start', async () => {
    h = await startHarness({ configFile: config({ discover: true }) });
    fake.knobs.dropStreamAfter = 1;
    fake.knobs.stepMs = 40;
    const r = await h.call('cortex_shared_translator', { text: 'hello' });
    const e = envelope(r);
    assert.equal(e['status'], 'unknown', text(r));
    assert.match(String(e['error']), /no way to read a run of a discoverable workflow/);
    assert.match(text(r), /do not start it again/i);
    assert.equal(fake.calls['start'], 1, 'never started twice');
    assert.equal(fake.calls['get-run'], 1, 'the own-workflow route was tried once, answered 404, and polling stopped');
    const run = await readJson(e['run_uri'] as string);
    assert.equal(run.status, 'unknown');
    assert.match(String(run.error), /discoverable/);
    const retention = await h.call('set_run_retention', { run_id: e['run_id'] as string, days: 3 });
    assert.equal(retention.isError, true);
    assert.match(text(retention), /Retention applies to your own Cortex workflows only/);
    assert.equal(fake.calls['retention'], undefined, 'nothing was sent');
    // After a restart, before the catalog is listed again, the journaled run still says it is shared.
    const { CortexProvider } = await import('../../src/providers/cortex/provider.js');
    const fresh = new CortexProvider({ apiKey: fake.key, baseUrl: fake.url, files: { roots: [], maxBytes: 1 }, log: h.app.deps.log });
    const journaled = (await h.app.deps.tracker.get('cortex', e['run_id'] as string))!;
    const again = await fresh.poll(journaled, new AbortController().signal);
    assert.deepEqual([again.status, again.final], ['unknown', true]);
  });

  it('file fields go up as multipart with input as a JSON field; URLs stay in the JSON input', async () => {
    h = await startHarness({ env: env() });
    const pdf = `data:application/pdf;base64,${Buffer.from('%PDF-1.4 hello').toString('base64')}`;
    const a = envelope(await h.call('cortex_extract_fields', { doc: pdf, note: 'n' }));
    assert.equal(a['status'], 'completed');
    assert.deepEqual(fake.starts[0], { input: { note: 'n' }, workflow_version_id: 'ver_ext_1', stream: true, files: { doc: ['upload:14'] } });
    await h.call('cortex_extract_fields', { doc: 'https://example.com/a.pdf' });
    assert.deepEqual(fake.starts[1]!['input'], { doc: 'https://example.com/a.pdf' });
    const named = await h.call('cortex_extract_fields', { doc: { base64: Buffer.from('%PDF-1.4 x').toString('base64'), filename: 'scan.pdf' } });
    assert.equal(envelope(named)['status'], 'completed', text(named));
    assert.deepEqual(fake.starts[2]!['files'], { doc: ['scan.pdf:10'] }, 'the documented { base64, filename } form goes up as a named part');
    const bad = await h.call('cortex_extract_fields', { doc: '../../etc/passwd' });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /doc: .*(outside|no file)/);
    assert.equal(fake.starts.length, 3);
  });

  it('a server that answers a streamed start with JSON is followed by polling to the end', async () => {
    h = await startHarness({ env: env() });
    fake.knobs.ignoreStream = true;
    const e = envelope(await h.call('cortex_summarize_document', { text: 'x' }));
    assert.equal(e['status'], 'completed');
    assert.deepEqual(e['output'], { summary: 'short' });
  });

  it('hostile field maps (50 deep, 5,000 fields, unknown types) give a usable tool and a log line, never a crash', async () => {
    reset(fake, [...cortexFixtures(), hostileWorkflow()]);
    h = await startHarness({ env: env() });
    const tool = (await cortexTools()).find((t) => t.name === 'cortex_hostile_schema')!;
    assert.ok(tool, 'the tool is listed');
    assert.ok(h.logs.some((l) => /wf_hostile v1: weird: unknown field type "hologram"/.test(l)), h.logs.join('').slice(0, 2000));
    assert.ok(h.logs.some((l) => /nested deeper than/.test(l)));
    assert.ok(h.logs.some((l) => /more than 1000 fields/.test(l)));
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 12; i++) deep = { next: deep };
    const r = await h.call('cortex_hostile_schema', { deep, weird: 'anything' });
    assert.equal(envelope(r)['status'], 'completed', text(r));
  });

  it('reads every page of a long workflow list; 429 with Retry-After is waited out; the key appears nowhere', async () => {
    const many = Array.from({ length: 45 }, (_, i) => ({ id: `wf_n${i}`, name: `Bulk ${i}`, scope: 'own' as const, deployed: 1, versions: [{ id: `v_n${i}`, version: 1, input: {}, steps: [{ key: 's', type: 'code' as const }] }] }));
    reset(fake, many);
    fake.fail('list', { status: 429, retryAfter: '1' });
    h = await startHarness({ env: env() });
    const names = (await cortexTools()).map((t) => t.name).filter((n) => !/_v\d+$/.test(n));
    assert.equal(names.length, 45);
    assert.ok(fake.calls['list']! >= 2);
    const r = await h.call('cortex_bulk_3', {});
    const everything = JSON.stringify(r) + h.logs.join('') + JSON.stringify(await h.client.listTools()) + JSON.stringify(await readJson(envelope(r)['run_uri'] as string));
    assert.ok(!everything.includes(fake.key));
  });

  it('a 1,000-chunk model step streams through: throttled progress, the right result', async () => {
    reset(fake, [{ id: 'wf_long', name: 'Long Answer', scope: 'own', deployed: 1, versions: [{ id: 'v_long', version: 1, input: {}, steps: [{ key: 'answer', type: 'model', chunks: 1000 }, { key: 'done', type: 'code' }], result: { ok: 1 } }] }]);
    h = await startHarness({ env: env() });
    const seen: string[] = [];
    const r = await h.call('cortex_long_answer', {}, { onprogress: (p: Progress) => void seen.push(p.message ?? '') });
    assert.deepEqual(envelope(r)['output'], { ok: 1 });
    assert.ok(seen.length < 60, `${seen.length} progress messages for 1,000 chunks`);
    assert.ok(seen.some((m) => m.includes('step "answer" (model) running')) && seen.some((m) => m.includes('step "done"')), seen.join('\n'));
  });

  it('a run left streaming by a stopped server is read to its end by the next one', async () => {
    h = await startHarness({ env: env(), flags: { waitSeconds: 0 } });
    fake.knobs.stepMs = 300;
    const e = envelope(await h.call('cortex_summarize_document', { text: 'x' }));
    assert.equal(e['status'], 'running');
    const stateDir = h.stateDir;
    await h.app.close();
    const next = await startHarness({ env: env(), stateDir });
    try {
      const w = envelope(await next.call('wait_for_run', { provider: 'cortex', run_id: e['run_id'], timeout_seconds: 20 }));
      assert.equal(w['status'], 'completed');
      assert.deepEqual(w['output'], { summary: 'short' });
      assert.equal(fake.starts.length, 1);
    } finally {
      await next.close();
    }
  });

  it('150 runs streaming at once: every start goes out at once (streams do not hold up the connection pool)', { timeout: 60_000 }, async () => {
    h = await startHarness({ env: env(), flags: { waitSeconds: 0 } });
    fake.knobs.stepMs = 3000;
    const calls = Array.from({ length: 150 }, (_, i) => h!.call('cortex_summarize_document', { text: `t${i}` }));
    try {
      // With the pool capped at 128, the last 22 would wait for a 12 s run to end.
      await until(() => fake.starts.length === 150 && fake.runs.size === 150, 8000, 'all 150 starts at the fake');
      const results = await Promise.all(calls);
      assert.ok(results.every((r) => envelope(r)['status'] === 'running'));
    } finally {
      for (const r of fake.runs.values()) r.cancelRequested = true;
    }
  });

  it('a version list that cannot be read leaves the deployed version as a tool, with a log line', async () => {
    fake.fail('versions', { status: 404 }, 3); // every own workflow's list
    h = await startHarness({ env: env() });
    const names = (await cortexTools()).map((t) => t.name);
    assert.ok(names.includes('cortex_summarize_document') && names.includes('cortex_summarize_document_v2') && !names.includes('cortex_summarize_document_v1'), names.join(' '));
    assert.ok(h.logs.some((l) => /could not list its versions .*404.*only the deployed one/.test(l)), h.logs.join(''));
  });

  it('a malformed workflow in the list is left out with a log line; the others are listed', async () => {
    fake.knobs.junkRows = [{ id: 'wf_bad', name: 'Bad', version: { version: 'two' } }, 'not even an object'];
    h = await startHarness({ env: env() });
    assert.ok((await cortexTools()).some((t) => t.name === 'cortex_summarize_document'));
    assert.ok(h.logs.some((l) => /left out an item wf_bad in an unexpected shape \(version\./.test(l)), h.logs.join(''));
    assert.ok(h.logs.some((l) => /left out an item in an unexpected shape/.test(l)));
  });

  it('a refused key keeps the server up; doctor says the key was refused', async () => {
    h = await startHarness({ env: { CORTEX_API_KEY: 'wrong-key-abcdef', CORTEX_BASE_URL: fake.url } });
    assert.ok(h.logs.some((l) => /cortex: could not list workflows .*401/.test(l)), h.logs.join(''));
    const checks = await h.app.deps.catalog.provider('cortex')!.check();
    assert.match(checks[0]!.message, /the Cortex API key was refused \(401\)/);
    const good = await startHarness({ env: env() });
    try {
      assert.deepEqual(await good.app.deps.catalog.provider('cortex')!.check(), [{ name: 'cortex', ok: true, message: 'API key accepted; 4 workflows visible' }]);
    } finally {
      await good.close();
    }
  });
});
