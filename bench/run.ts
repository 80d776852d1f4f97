/**
 * Benchmarks of the local path (figures, never assertions): MCP tool-call overhead over stdio
 * against calling the workflow function directly, cold start to the first tools/list with 50
 * workflows, and server memory with 200 runs in flight. Writes bench/results/local.json and the
 * table in bench/README.md.
 */
import { header, report, root } from './report.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { tempDir, writeFiles } from '../test/helpers/harness.js';

const BIN = join(root, 'dist/src/cli/bin.js');
const NOOP = "export default { name: 'Noop', version: 1, input: { type: 'object', properties: { x: { type: 'integer' } } }, run: (i) => ({ x: i.x ?? 0 }) };";
const SLEEP = "export default { name: 'Sleep', version: 1, input: { type: 'object' }, run: (_i, ctx) => new Promise((r) => { const t = setTimeout(() => r({ ok: true }), 4000); ctx.signal.addEventListener('abort', () => clearTimeout(t)); }) };";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number, d = 3): number => Math.round(n * 10 ** d) / 10 ** d;

async function startServer(dir: string, extra: string[] = []): Promise<{ client: Client; pid: number; close(): Promise<void> }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', '--local', dir, '--state-dir', join(dir, '..', `state-${Math.random()}`), '--log-level', 'error', ...extra], stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid!, close: () => client.close() };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function callOverhead(): Promise<Record<string, number>> {
  const dir = join(tempDir('wm-bench-'), 'wf');
  writeFiles(dir, { 'noop.workflow.mjs': NOOP });
  const mod = (await import(pathToFileURL(join(dir, 'noop.workflow.mjs')).href)) as { default: { run(i: unknown): unknown } };
  const direct: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    await mod.default.run({ x: i });
    direct.push(performance.now() - t);
  }
  const server = await startServer(dir);
  for (let i = 0; i < 50; i++) await server.client.callTool({ name: 'local_noop', arguments: { x: i } }); // warm-up
  const viaMcp: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await server.client.callTool({ name: 'local_noop', arguments: { x: i } });
    viaMcp.push(performance.now() - t);
  }
  await server.close();
  return { direct_call_ms_p50: round(median(direct), 4), stdio_tool_call_ms_p50: round(median(viaMcp)), stdio_tool_call_ms_p90: round([...viaMcp].sort((a, b) => a - b)[Math.floor(viaMcp.length * 0.9)]!), overhead_ms_p50: round(median(viaMcp) - median(direct)) };
}

async function coldStart(): Promise<Record<string, number>> {
  const dir = join(tempDir('wm-bench-'), 'wf');
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) files[`w${i}.workflow.mjs`] = NOOP.replace("'Noop'", `'Workflow ${i}'`);
  writeFiles(dir, files);
  const times: number[] = [];
  let tools = 0;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const server = await startServer(dir);
    tools = (await server.client.listTools()).tools.length;
    times.push(performance.now() - t);
    await server.close();
  }
  return { cold_start_to_tools_list_ms_p50: round(median(times), 1), tools_listed: tools };
}

async function memory(): Promise<Record<string, number>> {
  const dir = join(tempDir('wm-bench-'), 'wf');
  writeFiles(dir, { 'sleep.workflow.mjs': SLEEP });
  const samples: Array<{ idle: number; peak: number }> = [];
  for (let round_ = 0; round_ < 3; round_++) {
    const server = await startServer(dir, ['--wait-seconds', '30']);
    await server.client.listTools();
    await new Promise((r) => setTimeout(r, 300));
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

const results = { ...header(), ...(await callOverhead()), ...(await coldStart()), ...(await memory()) };
report('local', 'results', results);
