/**
 * Benchmarks of the local path (figures, never assertions), each beside its goal and a floor or
 * peer measured in the same run, after a warm-up, with this process as the load generator and
 * the server spawned over stdio:
 * - per-call cost: a no-op workflow, sequential (p50/p99) against calling its function directly,
 *   and 32 calls at once (calls per second);
 * - a synchronous endpoint (the Lleverage fake, in a process of its own), 32 at once, against the
 *   same request sent directly with undici, and beside the smallest SDK server forwarding it;
 * - cold start, spawn → first tools/list, 50 module workflows with distinct schemas, against the
 *   smallest SDK stdio server; the server's part (raw request) apart from the SDK client's own
 *   schema compilation; on this Node and on Node 22 when `npx -p node@22` can provide it;
 * - memory idle and with 200 runs in flight.
 * Writes bench/results/local.json and the table in bench/README.md. `BENCH_ONLY=cold-start`
 * measures the cold start alone and only prints it (nothing written), for iterating on start-up.
 */
import { header, report, root } from './report.js';
import { rssMb } from './children.js';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { BIN, tempDir, writeFiles } from '../test/helpers/harness.js';
import { directEcho, round32, startLleverageFake } from './sync-load.js';

const MINIMAL = join(root, 'dist/bench/minimal-server.js');
const MINIMAL_PROXY = join(root, 'dist/bench/minimal-proxy.js');
const NOOP = "export default { name: 'Noop', version: 1, input: { type: 'object', properties: { x: { type: 'integer' } } }, run: (i) => ({ x: i.x ?? 0 }) };";
const SLEEP = "export default { name: 'Sleep', version: 1, input: { type: 'object' }, run: (_i, ctx) => new Promise((r) => { const t = setTimeout(() => r({ ok: true }), 4000); ctx.signal.addEventListener('abort', () => clearTimeout(t)); }) };";

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const median = (xs: number[]): number => pct(xs, 0.5);
const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

interface Spawned { client: Client; pid: number; close(): Promise<void> }

async function spawnServer(args: string[], opts: { node?: string; env?: Record<string, string> } = {}): Promise<Spawned> {
  const transport = new StdioClientTransport({ command: opts.node ?? process.execPath, args, stderr: 'ignore', env: { PATH: process.env['PATH'] ?? '', ...opts.env } });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid!, close: () => client.close() };
}

const serveArgs = (dir: string, extra: string[] = []): string[] => [BIN, 'serve', '--local', dir, '--state-dir', join(dir, '..', `state-${Math.random()}`), '--log-level', 'error', ...extra];

/** CPU time a process has used so far, every thread (Linux schedstat, ns): less noisy than wall time on a shared machine. */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

async function callCost(): Promise<Record<string, number>> {
  const dir = join(tempDir('wm-bench-'), 'wf');
  writeFiles(dir, { 'noop.workflow.mjs': NOOP });
  const mod = (await import(pathToFileURL(join(dir, 'noop.workflow.mjs')).href)) as { default: { run(i: unknown): unknown } };
  const direct: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    await mod.default.run({ x: i });
    if (i >= 1000) direct.push(performance.now() - t);
  }
  const server = await spawnServer(serveArgs(dir));
  const call = (x: number) => server.client.callTool({ name: 'local_noop', arguments: { x } });
  // Warm-up: the server's JIT settles over ~2,000 calls (300 left the first measured 1,000 still warming).
  for (let i = 0; i < 2000; i++) await call(i);
  const seq: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await call(i);
    seq.push(performance.now() - t);
  }
  const total = 6000;
  let started = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (started < total) await call(started++);
  }));
  const perSecond = total / ((performance.now() - t) / 1000);
  await server.close();
  return {
    direct_call_ms_p50: round(median(direct), 4), direct_call_ms_p99: round(pct(direct, 0.99), 4),
    sequential_call_ms_p50: round(median(seq)), sequential_call_ms_p99: round(pct(seq, 0.99)),
    noop_c32_calls_per_second: Math.round(perSecond),
  };
}

async function syncEndpoint(): Promise<Record<string, number>> {
  const fake = await startLleverageFake();
  const url = fake.url;
  const dir = join(tempDir('wm-bench-'), 'wf');
  writeFiles(dir, { '../workflows-mcp.config.json': JSON.stringify({ providers: { lleverage: { endpoints: [{ name: 'Echo', url, fields: { text: 'text' } }] } } }) });
  const server = await spawnServer([...serveArgs(dir), '--config', join(dir, '..', 'workflows-mcp.config.json')]);
  const proxy = await spawnServer([MINIMAL_PROXY], { env: { PROXY_URL: url } });
  const direct = directEcho(url);
  const viaMcp = () => server.client.callTool({ name: 'lleverage_echo', arguments: { text: 'hi' } });
  const viaProxy = () => proxy.client.callTool({ name: 'lleverage_echo', arguments: { text: 'hi' } });
  await round32(direct, 60); // warm-up, the same for every path (~2,000 calls each)
  await round32(viaMcp, 60);
  await round32(viaProxy, 60);
  const d: number[] = [];
  const m: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < 10; i++) (d.push(...(await round32(direct, 3))), m.push(...(await round32(viaMcp, 3))), p.push(...(await round32(viaProxy, 3)))); // interleaved
  await server.close();
  await proxy.close();
  await fake.close();
  const floor = median(d);
  return { sync_c32_direct_undici_ms_p50: round(floor), sync_c32_mcp_call_ms_p50: round(median(m)), sync_c32_goal_ms: round(1.2 * floor + 2), sync_c32_minimal_sdk_proxy_ms_p50: round(median(p)) };
}

/** Spawn → first tools/list, median of `runs`, after one warm-up start; `raw` skips the client's output-schema compilation. */
async function startUp(args: string[], node: string | undefined, runs: number): Promise<{ listed: number; raw: number; cpu: number; tools: number }> {
  const listed: number[] = [];
  const raw: number[] = [];
  const cpu: number[] = [];
  let tools = 0;
  for (let i = 0; i <= 2 * runs; i++) {
    const t = performance.now();
    const s = await spawnServer(args, node ? { node } : {});
    const useRaw = i % 2 === 1;
    tools = useRaw ? (await s.client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema)).tools.length : (await s.client.listTools()).tools.length;
    const ms = performance.now() - t;
    const used = cpuMs(s.pid);
    await s.close();
    if (i === 0) continue; // warm-up: the file system cache (and Node 22's compile cache)
    (useRaw ? raw : listed).push(ms);
    cpu.push(used);
  }
  return { listed: round(median(listed), 1), raw: round(median(raw), 1), cpu: round(median(cpu), 1), tools };
}

function node22(): string | undefined {
  try {
    return execFileSync('npx', ['-y', '-p', 'node@22', 'node', '-p', 'process.execPath'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function coldStart(): Promise<Record<string, number | string>> {
  const dir = join(tempDir('wm-bench-'), 'wf');
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) {
    // Distinct schemas: field names, kinds, bounds and required sets differ per workflow.
    const props: Record<string, unknown> = {};
    for (let f = 0; f < 3 + (i % 5); f++) props[`w${i}_field_${f}`] = f % 2 ? { type: 'integer', minimum: i, maximum: 1000 + f } : { type: 'string', maxLength: 10 + i + f, description: `Field ${f} of workflow ${i}` };
    const input = { type: 'object', properties: props, required: Object.keys(props).slice(0, 1 + (i % 2)) };
    files[`w${i}.workflow.mjs`] = `export default { name: 'Workflow ${i}', version: 1, input: ${JSON.stringify(input)}, run: (i) => i };`;
  }
  writeFiles(dir, files);
  const out: Record<string, number | string> = {};
  const ours = await startUp(serveArgs(dir), undefined, 7);
  const floor = await startUp([MINIMAL], undefined, 7);
  Object.assign(out, {
    cold_start_ms_p50: ours.listed, cold_start_server_only_ms_p50: ours.raw, cold_start_floor_minimal_sdk_server_ms_p50: floor.listed, tools_listed: ours.tools,
    cold_start_server_cpu_ms_p50: ours.cpu, cold_start_floor_cpu_ms_p50: floor.cpu,
  });
  const n22 = node22();
  if (!n22) return { ...out, node22: 'not available' };
  const ours22 = await startUp(serveArgs(dir), n22, 7);
  const floor22 = await startUp([MINIMAL], n22, 7);
  return {
    ...out, node22: execFileSync(n22, ['-v'], { encoding: 'utf8' }).trim(), node22_cold_start_ms_p50: ours22.listed, node22_cold_start_server_only_ms_p50: ours22.raw, node22_cold_start_floor_ms_p50: floor22.listed,
    node22_cold_start_server_cpu_ms_p50: ours22.cpu, node22_cold_start_floor_cpu_ms_p50: floor22.cpu,
  };
}

async function memory(): Promise<Record<string, number>> {
  const dir = join(tempDir('wm-bench-'), 'wf');
  writeFiles(dir, { 'sleep.workflow.mjs': SLEEP });
  const samples: Array<{ idle: number; peak: number }> = [];
  for (let r = 0; r < 3; r++) {
    const server = await spawnServer(serveArgs(dir, ['--wait-seconds', '30']));
    await server.client.listTools();
    await new Promise((res) => setTimeout(res, 300));
    const idle = rssMb(server.pid);
    const calls = Array.from({ length: 200 }, () => server.client.callTool({ name: 'local_sleep', arguments: {} }, undefined, { onprogress: () => {} }));
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.pid))), 100);
    await Promise.all(calls);
    clearInterval(sampler);
    samples.push({ idle, peak });
    await server.close();
  }
  const idle = median(samples.map((s) => s.idle));
  const peak = median(samples.map((s) => s.peak));
  return { rss_idle_mb: round(idle, 1), rss_200_in_flight_mb: round(peak, 1), kb_per_in_flight_run: round(((peak - idle) * 1024) / 200, 1) };
}

if (process.env['BENCH_ONLY'] === 'cold-start') {
  process.stdout.write(`${JSON.stringify({ ...header(), ...(await coldStart()) }, null, 2)}\n`);
  process.exit(0);
}
const results: Record<string, unknown> = { ...header(), ...(await callCost()), ...(await syncEndpoint()), ...(await coldStart()), ...(await memory()) };
results['goals'] = 'noop_c32_calls_per_second >= 3000; sync_c32_mcp_call_ms_p50 <= sync_c32_goal_ms (1.2 × direct + 2); sequential_call_ms_p50 <= 1, p99 <= 3; cold_start_ms_p50 <= 400 (node22_… <= 300)';
report('local', 'results', results);
