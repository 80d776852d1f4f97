/**
 * Looply benchmark (figures, never assertions): platform requests per run for runs of 5 s,
 * 60 s and 10 min on a simulated clock (the fixed 1 s column there is a formula), and for runs of
 * 5 s and 30 s in real time against the fake beside a run polled every 1 s in the same moment; catalog build time for 500
 * workflows × 4 versions at 50 ms fake latency, cold and warm; tool-call overhead against
 * calling the fake directly. Writes bench/results/looply.json and its table in bench/README.md.
 */
import { header, report } from './report.js';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../src/core/log.js';
import { Redactor } from '../src/core/redact.js';
import { LooplyClient } from '../src/providers/looply/client.js';
import { LooplyProvider } from '../src/providers/looply/provider.js';
import type { RunStatus } from '../src/providers/types.js';
import { pollRun, RequestBudget } from '../src/runs/poller.js';
import { FakeLooply } from '../test/fakes/looply/server.js';
import { fakeClock, simulate } from '../test/helpers/clock.js';
import { startHarness, tempDir } from '../test/helpers/harness.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function requestsPerRun(seconds: number): Promise<number> {
  const clock = fakeClock();
  const start = clock.now();
  let reads = 0;
  const done = pollRun({
    read: async () => (reads++, { status: (clock.now() - start >= seconds * 1000 ? 'completed' : 'running') as RunStatus }),
    onUpdate: () => {}, signal: new AbortController().signal, clock, budget: new RequestBudget(clock, 5), log, what: 'bench',
  });
  await simulate(clock, seconds * 1000 + 15_000, 250);
  await done;
  return reads + 1; // + the trigger
}

async function catalog(): Promise<Record<string, number>> {
  const fake = await new FakeLooply().start();
  for (let w = 0; w < 500; w++) for (let v = 1; v <= 4; v++) fake.workflows.push({ workflow_id: `wf-${String(w).padStart(3, '0')}`, workflow_name: `Workflow ${w}`, workflow_version: v, workflow_status: 'ACTIVE', latest: v === 4, workflow_mock_payload: { id: 'x', n: 1 } });
  fake.knobs.latencyMs = 50;
  const provider = new LooplyProvider({ apiKey: fake.key, baseUrl: fake.url, log, client: new LooplyClient({ apiKey: fake.key, baseUrl: fake.url }) });
  let t = performance.now();
  const listing = await provider.listWorkflows();
  const cold = performance.now() - t;
  t = performance.now();
  await provider.listWorkflows();
  const warm = performance.now() - t;
  // A restarted server: first start saves the catalog snapshot; the next lists from it at once.
  const stateDir = tempDir();
  const env = { LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url };
  const configFile = { maxTools: 5000 }; // all 2,500 tools listed, not the compact set
  const first = await startHarness({ env, stateDir, live: true, configFile });
  await first.app.deps.catalog.refresh(); // it serves after 1 s; the snapshot is saved once the whole catalog is read
  await first.close();
  t = performance.now();
  const restarted = await startHarness({ env, stateDir, live: true, configFile });
  const serving = performance.now() - t;
  const listed = (await restarted.client.listTools()).tools.filter((x) => x.name.startsWith('looply_')).length;
  const firstList = performance.now() - t - serving;
  await restarted.close();
  await fake.close();
  return { restart_with_snapshot_to_serving_ms: Math.round(serving), restart_first_tools_list_page_ms: Math.round(firstList), restart_first_page_looply_tools: listed, catalog_versions: listing.workflows.reduce((n, w) => n + w.versions.length, 0), catalog_cold_ms: Math.round(cold), catalog_warm_ms: Math.round(warm), catalog_pages: 67, catalog_paging_floor_ms: 67 * 50 };
}

async function overhead(): Promise<Record<string, number>> {
  const fake = await new FakeLooply().start();
  fake.workflows.push({ workflow_id: 'wf-fast', workflow_name: 'Fast', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, states: ['end'], workflow_mock_payload: { a: 1 } });
  const direct = new LooplyClient({ apiKey: fake.key, baseUrl: fake.url });
  const h = await startHarness({ env: { LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url } });
  const viaMcp: number[] = [];
  const viaHttp: number[] = [];
  for (let i = 0; i < 60; i++) {
    // Spaced out so the shared polling budget (5/s sustained) measures as overhead only when it should.
    await new Promise((r) => setTimeout(r, 250));
    let t = performance.now();
    const { looply_execution_id: id } = await direct.trigger('wf-fast', 1, { a: i });
    await direct.getExecution('wf-fast', id);
    viaHttp.push(performance.now() - t);
    t = performance.now();
    await h.call('looply_fast', { a: i });
    viaMcp.push(performance.now() - t);
  }
  await h.close();
  await fake.close();
  const [m, d] = [median(viaMcp.slice(10)), median(viaHttp.slice(10))];
  return { polling_budget_requests_per_second: 5, direct_trigger_and_read_ms_p50: Math.round(d * 100) / 100, mcp_tool_call_ms_p50: Math.round(m * 100) / 100, overhead_ms_p50: Math.round((m - d) * 100) / 100 };
}

/**
 * Real time against the fake: one run through MCP (adaptive polling) and one polled directly
 * every 1 s, both started together and ended by the fake `seconds` later; requests counted at
 * the fake (trigger included).
 */
async function realTime(seconds: number): Promise<Record<string, number>> {
  const fake = await new FakeLooply().start();
  fake.workflows.push({ workflow_id: 'wf-rt', workflow_name: 'Realtime', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, states: ['start_state', 'end'], workflow_mock_payload: { a: 1 } });
  const h = await startHarness({ env: { LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url }, flags: { waitSeconds: seconds + 30 } });
  const direct = new LooplyClient({ apiKey: fake.key, baseUrl: fake.url });
  const count = (): number => Object.values(fake.calls).reduce((a, b) => a + b, 0);
  const before = count();
  const ends = setTimeout(() => fake.advance(5), seconds * 1000);
  let fixed = 0;
  const fixedPoll = (async () => {
    const { looply_execution_id: id } = await direct.trigger('wf-rt', 1, { a: 2 });
    fixed++;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      fixed++;
      const e = await direct.getExecution('wf-rt', id);
      if (e.item.workflow_current_state === 'end') return;
    }
  })();
  const t = performance.now();
  await h.call('looply_realtime', { a: 1 });
  const mcpMs = performance.now() - t;
  await fixedPoll;
  clearTimeout(ends);
  const total = count() - before;
  await h.close();
  await fake.close();
  return { [`realtime_${seconds}s_run_requests`]: total - fixed, [`realtime_${seconds}s_run_requests_fixed_1s_poll`]: fixed, [`realtime_${seconds}s_run_result_after_end_ms`]: Math.round(mcpMs - seconds * 1000) };
}

const results: Record<string, unknown> = header();
for (const s of [5, 60, 600]) {
  results[`requests_${s}s_run`] = await requestsPerRun(s);
  results[`requests_${s}s_run_at_fixed_1s`] = s + 1 + 1;
}
Object.assign(results, await realTime(5), await realTime(30), await catalog(), await overhead());
results['goals'] = 'requests_60s_run <= 15 (simulated), realtime_30s_run_requests well under realtime_30s_run_requests_fixed_1s_poll; catalog_cold_ms <= 3000';
report('looply', 'looply-results', results);
