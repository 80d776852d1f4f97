/**
 * Cortex benchmark (figures, never assertions): completion-to-result latency with the SSE stream
 * against a fixed 1 s poll and against our own polling fallback; progress throughput and event-loop
 * stalls for a 1,000-chunk stream; catalog build for 500 workflows × 4 versions at 50 ms fake
 * latency, cold and warm. Writes bench/results/cortex.json and its table in bench/README.md.
 */
import { header, report } from './report.js';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createLogger } from '../src/core/log.js';
import { Redactor } from '../src/core/redact.js';
import { CortexClient } from '../src/providers/cortex/client.js';
import { CortexProvider } from '../src/providers/cortex/provider.js';
import { FakeCortex, type FakeWorkflowDef } from '../test/fakes/cortex/server.js';
import { startHarness } from '../test/helpers/harness.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
const pct = (xs: number[], p: number): number => Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]! * 10) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const steps = [{ key: 'a', type: 'code' as const }, { key: 'b', type: 'http_request' as const }, { key: 'c', type: 'model' as const, chunks: 20 }, { key: 'd', type: 'code' as const }];
const wf = (id: string, extra: Partial<FakeWorkflowDef['versions'][0]> = {}): FakeWorkflowDef => ({ id, name: id, scope: 'own', deployed: 1, versions: [{ id: `v_${id}`, version: 1, input: {}, steps, result: { ok: true }, ...extra }] });
const RUNS = 20;

/** Milliseconds from the run's end on the platform to the tool result in the client's hands. */
async function completionLatency(fake: FakeCortex, mode: 'sse' | 'fallback'): Promise<number[]> {
  const h = await startHarness({ env: { CORTEX_API_KEY: fake.key, CORTEX_BASE_URL: fake.url } });
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    fake.knobs.stepMs = 100 + Math.round(Math.random() * 300);
    // Fallback: the stream breaks right after its first event, so the run is polled to its end.
    if (mode === 'fallback') fake.knobs.dropStreamAfter = 1;
    const r = await h.call('cortex_flow', {});
    const got = Date.now();
    const run = fake.runs.get((r.structuredContent as { run_id: string }).run_id)!;
    out.push(got - run.ended!);
  }
  await h.close();
  return out;
}

/** The same runs followed by a plain 1 s poll of GET …/runs/{id}. */
async function fixedPollLatency(fake: FakeCortex): Promise<number[]> {
  const c = new CortexClient({ apiKey: fake.key, baseUrl: fake.url });
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    fake.knobs.stepMs = 100 + Math.round(Math.random() * 300);
    const res = await c.startRun('own', 'flow', { input: {}, background: true }, []);
    let text = '';
    for await (const piece of res.body) text += Buffer.from(piece).toString('utf8');
    const id = (JSON.parse(text) as { id: string }).id;
    for (;;) {
      await sleep(1000);
      const r = await c.getRun('flow', id);
      if (r.status === 'COMPLETED') break;
    }
    out.push(Date.now() - fake.runs.get(id)!.ended!);
  }
  return out;
}

async function chunkStream(fake: FakeCortex, chunks: number): Promise<Record<string, number>> {
  fake.workflows.push(wf(`chunks${chunks}`, { steps: [{ key: 'answer', type: 'model', chunks }] }));
  const h = await startHarness({ env: { CORTEX_API_KEY: fake.key, CORTEX_BASE_URL: fake.url } });
  fake.knobs.stepMs = 0;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let progress = 0;
  loop.enable();
  const t = performance.now();
  await h.call(`cortex_chunks${chunks}`, {}, { onprogress: () => void progress++ });
  const ms = performance.now() - t;
  loop.disable();
  await h.close();
  return { [`chunks_${chunks}_call_ms`]: Math.round(ms), [`chunks_${chunks}_per_second`]: Math.round(chunks / (ms / 1000)), [`chunks_${chunks}_progress_messages`]: progress, [`chunks_${chunks}_event_loop_max_ms`]: Math.round(loop.max / 1e5) / 10, [`chunks_${chunks}_event_loop_p99_ms`]: Math.round(loop.percentile(99) / 1e5) / 10 };
}

/** RSS growth with 200 runs streaming at once (the fake runs in this process too: an upper bound). */
async function inFlight(fake: FakeCortex): Promise<Record<string, number>> {
  const h = await startHarness({ env: { CORTEX_API_KEY: fake.key, CORTEX_BASE_URL: fake.url }, flags: { waitSeconds: 0 } });
  await h.call('cortex_flow', {});
  fake.knobs.stepMs = 2000;
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  await Promise.all(Array.from({ length: 200 }, () => h.call('cortex_flow', {})));
  await sleep(500);
  (globalThis as { gc?: () => void }).gc?.();
  const during = process.memoryUsage().rss;
  for (const r of fake.runs.values()) r.cancelRequested = true;
  await h.close();
  return { streaming_200_in_flight_rss_growth_mb: Math.round((during - before) / 1e5) / 10, kb_per_streaming_run: Math.round((during - before) / 200 / 102.4) / 10 };
}

async function catalog(): Promise<Record<string, number>> {
  const fake = await new FakeCortex().start();
  for (let w = 0; w < 500; w++) {
    fake.workflows.push({ id: `wf_${w}`, name: `Workflow ${w}`, scope: 'own', deployed: 4, versions: [1, 2, 3, 4].map((v) => ({ id: `v_${w}_${v}`, version: v, input: { text: { type: 'string' }, n: { type: 'number', optional: true } }, steps: [] })) });
  }
  fake.knobs.latencyMs = 50;
  const provider = new CortexProvider({ apiKey: fake.key, baseUrl: fake.url, files: { roots: [], maxBytes: 1 }, log });
  let t = performance.now();
  const listing = await provider.listWorkflows();
  const cold = performance.now() - t;
  const coldRequests = Object.values(fake.calls).reduce((a, b) => a + b, 0);
  t = performance.now();
  await provider.listWorkflows();
  const warm = performance.now() - t;
  const warmRequests = Object.values(fake.calls).reduce((a, b) => a + b, 0) - coldRequests;
  await fake.close();
  return { catalog_versions: listing.workflows.reduce((n, w) => n + w.versions.length, 0), catalog_cold_ms: Math.round(cold), catalog_cold_requests: coldRequests, catalog_warm_ms: Math.round(warm), catalog_warm_requests: warmRequests };
}

/**
 * A 10,000-workflow account (distinct schemas) through the whole catalog (bounds, tools, names),
 * at 100 ms fake latency (200 pages, 8 at a time): when its first tools are published, when all are, and the heap each
 * workflow keeps (its two tools included) after a forced GC (run with --expose-gc).
 */
async function catalog10k(): Promise<Record<string, number>> {
  const fake = await new FakeCortex().start();
  const n = 10_000;
  for (let i = 0; i < n; i++) fake.workflows.push({ id: `wf_${i}`, name: `Workflow ${i}`, scope: 'own', deployed: 1, versions: [{ id: `v_${i}_1`, version: 1, input: { [`text_${i}`]: { type: 'string' } }, steps: [] }] });
  fake.knobs.latencyMs = 100;
  const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const t = performance.now();
  // versions: latest — the version lists (one request each, 500 a minute) would take 20 minutes.
  const h = await startHarness({ live: true, env: { CORTEX_API_KEY: fake.key, CORTEX_BASE_URL: fake.url }, configFile: { maxTools: 100_000, providers: { cortex: { versions: 'latest' } } } });
  while (!h.app.deps.catalog.tools.length) await sleep(10);
  const first = performance.now() - t; // the harness serves after ≤ 1 s: the first tools may come with it
  await h.app.deps.catalog.refresh();
  const all = performance.now() - t;
  gc();
  const heap = process.memoryUsage().heapUsed - heapBefore;
  await h.close();
  await fake.close();
  return { catalog_10k_first_tools_ms: Math.round(first), catalog_10k_all_ms: Math.round(all), catalog_10k_heap_kb_per_workflow: Math.round(heap / n / 102.4) / 10 };
}

const fake = await new FakeCortex().start();
fake.workflows.push(wf('flow'));
const sse = await completionLatency(fake, 'sse');
const fallback = await completionLatency(fake, 'fallback');
const fixed = await fixedPollLatency(fake);
const results: Record<string, unknown> = {
  ...header(), runs_each: RUNS,
  sse_completion_to_result_ms_p50: pct(sse, 0.5), sse_completion_to_result_ms_p90: pct(sse, 0.9),
  fixed_1s_poll_completion_to_result_ms_p50: pct(fixed, 0.5), fixed_1s_poll_completion_to_result_ms_p90: pct(fixed, 0.9),
  adaptive_poll_fallback_completion_to_result_ms_p50: pct(fallback, 0.5), adaptive_poll_fallback_completion_to_result_ms_p90: pct(fallback, 0.9),
  ...(await chunkStream(fake, 1000)), ...(await chunkStream(fake, 10_000)), ...(await inFlight(fake)),
};
await fake.close();
Object.assign(results, await catalog(), await catalog10k());
results['goals'] = 'sse_completion_to_result_ms_p50 <= 50; chunks_1000_event_loop_max_ms <= 50';
report('cortex', 'cortex-results', results);
