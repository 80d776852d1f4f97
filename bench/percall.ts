/**
 * The per-call figures of issue #12 alone, for profiling (no figures are written): a no-op local
 * workflow called 1,000 times one after another (p50/p99), and the Lleverage fake called 32 at
 * once through MCP beside the same request sent directly. `PERCALL_NODE_FLAGS` goes to the
 * server's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), `PERCALL_PART` is `seq`, `sync`
 * or both (default), `PERCALL_FAKE=inline` keeps the fake in this process, `PERCALL_C32=1` adds
 * 6,000 no-op calls 32 at once after the sequential ones; `PERCALL_SYNC_CPU_ROUNDS` (default 10)
 * rounds of 32 sync calls give the CPU figures; `PERCALL_MINIMAL=1` measures the minimal SDK proxy
 * (bench/minimal-proxy.ts) under the same load after ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { FakeLleverage } from '../test/fakes/lleverage/server.js';
import { directEcho, round32, startLleverageFake } from './sync-load.js';
import { BIN, tempDir, writeFiles } from '../test/helpers/harness.js';

const NOOP = "export default { name: 'Noop', version: 1, input: { type: 'object', properties: { x: { type: 'integer' } } }, run: (i) => ({ x: i.x ?? 0 }) };";
const flags = (process.env['PERCALL_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
const part = process.env['PERCALL_PART'] ?? 'both';
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU milliseconds per call spent by each process while `body` makes `calls` calls. */
async function cpuPerCall(pids: Record<string, number>, calls: number, body: () => Promise<void>): Promise<string> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
  await body();
  return Object.entries(pids).map(([k, pid]) => `${k} ${r2(((cpuOf(pid) - before[k]!) * 1000) / calls)}`).join(', ') + ' ms CPU per call';
}

let serverPid = 0;
async function spawnServer(args: string[]): Promise<Client> {
  // PERCALL_WRAP runs the server under another command (e.g. `perf record -g -o /tmp/perf.data`).
  const wrap = (process.env['PERCALL_WRAP'] ?? '').split(' ').filter(Boolean);
  const transport = new StdioClientTransport({ command: wrap[0] ?? process.execPath, args: [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), ...flags, BIN, 'serve', ...args, '--log-level', 'error'], stderr: 'inherit', env: { PATH: process.env['PATH'] ?? '' } });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  serverPid = transport.pid!;
  return client;
}

async function sequential(): Promise<void> {
  const dir = join(tempDir('wm-percall-'), 'wf');
  writeFiles(dir, { 'noop.workflow.mjs': NOOP });
  const client = await spawnServer(['--local', dir, '--state-dir', join(dir, '..', 'state')]);
  const call = (x: number) => client.callTool({ name: 'local_noop', arguments: { x } });
  for (let i = 0; i < 300; i++) await call(i);
  for (let round = 0; round < Number(process.env['PERCALL_ROUNDS'] ?? 3); round++) {
    const seq: number[] = [];
    const cpu = await cpuPerCall({ server: serverPid, bench: process.pid }, 1000, async () => {
      for (let i = 0; i < 1000; i++) {
        const t = performance.now();
        await call(i);
        seq.push(performance.now() - t);
      }
    });
    console.log(`sequential: p50 ${r2(pct(seq, 0.5))} ms, p99 ${r2(pct(seq, 0.99))} ms, max ${r2(pct(seq, 1))} ms; ${cpu}`);
  }
  if (process.env['PERCALL_C32'] === '1') {
    // 6,000 calls 32 at once, as bench/run.ts measures calls per second.
    let started = 0;
    const t = performance.now();
    const cpu = await cpuPerCall({ server: serverPid, bench: process.pid }, 6000, async () => {
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (started < 6000) await call(started++);
      }));
    });
    console.log(`no-op c32: ${Math.round(6000 / ((performance.now() - t) / 1000))} calls/s; ${cpu}`);
  }
  await client.close();
}

async function fakeUrl(): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  if (process.env['PERCALL_FAKE'] === 'inline') {
    const fake = await new FakeLleverage().start();
    fake.endpoints.set('/run', { required: ['text'] });
    return { url: `${fake.url}/run`, pid: process.pid, close: () => fake.close() };
  }
  return startLleverageFake();
}

async function syncEndpoint(): Promise<void> {
  const fake = await fakeUrl();
  const dir = join(tempDir('wm-percall-'), 'wf');
  writeFiles(dir, { '../config.json': JSON.stringify({ providers: { lleverage: { endpoints: [{ name: 'Echo', url: fake.url, fields: { text: 'text' } }] } } }) });
  const client = await spawnServer(['--local', dir, '--state-dir', join(dir, '..', 'state'), '--config', join(dir, '..', 'config.json')]);
  const direct = directEcho(fake.url);
  const viaMcp = () => client.callTool({ name: 'lleverage_echo', arguments: { text: 'hi' } });
  await round32(direct, 10);
  await round32(viaMcp, 10);
  const d: number[] = [];
  const m: number[] = [];
  const rounds = Number(process.env['PERCALL_SYNC_ROUNDS'] ?? 10);
  const pids = { server: serverPid, bench: process.pid, fake: fake.pid };
  let cpuDirect = '';
  let cpuMcp = '';
  for (let i = 0; i < rounds; i++) {
    cpuDirect = await cpuPerCall(pids, 96, async () => void d.push(...(await round32(direct, 3))));
    cpuMcp = await cpuPerCall(pids, 96, async () => void m.push(...(await round32(viaMcp, 3))));
  }
  // PERCALL_SYNC_CPU_ROUNDS: more rounds for the CPU figures (/proc counts 10 ms ticks: 320 calls read ±0.03 ms).
  const cpuRounds = Number(process.env['PERCALL_SYNC_CPU_ROUNDS'] ?? 10);
  const cpuD = await cpuPerCall(pids, 32 * cpuRounds, async () => void (await round32(direct, cpuRounds)));
  const cpuM = await cpuPerCall(pids, 32 * cpuRounds, async () => void (await round32(viaMcp, cpuRounds)));
  void cpuDirect; void cpuMcp;
  const floor = pct(d, 0.5);
  console.log(`sync c32: direct p50 ${r2(floor)} ms, mcp p50 ${r2(pct(m, 0.5))} ms (goal ${r2(1.2 * floor + 2)}), mcp p99 ${r2(pct(m, 0.99))} ms\n  direct: ${cpuD}\n  mcp: ${cpuM}`);
  await client.close();
  if (process.env['PERCALL_MINIMAL'] === '1') await minimalProxy(fake, cpuRounds);
  await fake.close();
}

/** The same load through the minimal SDK proxy (bench/minimal-proxy.ts): its p50 and CPU per call beside ours. */
async function minimalProxy(fake: { url: string; pid: number }, cpuRounds: number): Promise<void> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [join(import.meta.dirname, 'minimal-proxy.js')], stderr: 'inherit', env: { PATH: process.env['PATH'] ?? '', PROXY_URL: fake.url } });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  const viaProxy = () => client.callTool({ name: 'lleverage_echo', arguments: { text: 'hi' } });
  await round32(viaProxy, 10);
  const times = await round32(viaProxy, 30);
  const cpu = await cpuPerCall({ server: transport.pid!, bench: process.pid, fake: fake.pid }, 32 * cpuRounds, async () => void (await round32(viaProxy, cpuRounds)));
  console.log(`  minimal proxy: p50 ${r2(pct(times, 0.5))} ms; ${cpu}`);
  await client.close();
}

if (part !== 'sync') await sequential();
if (part !== 'seq') await syncEndpoint();
