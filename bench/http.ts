/**
 * HTTP benchmark (figures, never assertions). The server, the load generator
 * (bench/http-load.ts) and the /healthz prober (bench/http-probe.ts) are three processes; this
 * one only starts them and samples the server's RSS from /proc.
 * - 1,000 calls of a 3 s workflow in flight over one session: the time to each result (floor:
 *   the 3 s the workflow takes), the server's event-loop p99 (its /healthz, last 10 s). Beside it,
 *   the same load against the peer: the smallest server the SDK's own Streamable HTTP transport
 *   makes (bench/minimal-http.ts, one 3 s tool, no journal). The two alternate, `BENCH_HTTP_ROUNDS`
 *   rounds each (3), so both see the same machine; the figure is the median of the rounds' medians;
 * - 5,000 in flight over 5 sessions: failed calls, /healthz round trip (floor: the same probe
 *   while idle), peak RSS.
 * `http.maxConcurrentPerClient` is raised to 10,000: its default (1,000 calls at once per
 * principal, and every session here is the same local user) would refuse 4,000 of them with
 * 429 by design. Writes bench/results/http.json and its table in bench/README.md.
 * `BENCH_SERVER_NODE_OPTIONS` goes to the server as NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
 */
import { header, report, root } from './report.js';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFiles } from '../test/helpers/harness.js';
import { startHttpServer, stopServer } from '../test/helpers/http.js';

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => (xs.length ? sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : NaN);
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

function child(script: string, args: string[]): { done: Promise<Record<string, unknown>>; stop(): void } {
  const p = spawn(process.execPath, [join(root, 'dist/bench', script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<Record<string, unknown>>((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`${script} exited ${code}`)))));
  return { done, stop: () => p.stdin.end() };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** CPU time (user + system) of a process so far, ms, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Starts the SDK's minimal Streamable HTTP server (the peer); resolves with its URL. */
async function startPeer(): Promise<{ url: string; pid: number; stop(): void }> {
  const p = spawn(process.execPath, [join(root, 'dist/bench/minimal-http.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    p.once('exit', (code) => reject(new Error(`minimal-http.js exited ${code}`)));
  });
  return { url, pid: p.pid!, stop: () => p.kill() };
}

type Load = { latencies: number[]; firstProgress: number[]; failures: Record<string, number>; cpuMs: number };
const load = async (url: string, tool: string, sessions: number, perSession: number): Promise<Load> => (await child('http-load.js', [url, tool, String(sessions), String(perSession)]).done) as Load;

async function phase(url: string, pid: number, tool: string, sessions: number, perSession: number) {
  const probe = child('http-probe.js', [url]);
  const cpu0 = cpuMs(pid);
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
  const result = await load(url, tool, sessions, perSession);
  clearInterval(sampler);
  const serverCpuMs = cpuMs(pid) - cpu0;
  probe.stop();
  const health = (await probe.done) as { rtts: number[]; answers: Array<{ event_loop_delay_p99_ms: number }> };
  return {
    load: result, peak, rtts: health.rtts, serverCpuMs,
    loopP99: Math.max(0, ...health.answers.map((a) => a.event_loop_delay_p99_ms)),
  };
}

const dir = tempDir('wm-bench-http-');
writeFiles(dir, {
  'wf/noop.workflow.mjs': "export default { name: 'Noop', input: { type: 'object' }, run: () => ({ ok: true }) };",
  'wf/hold.workflow.mjs': "export default { name: 'Hold', input: { type: 'object' }, run: () => new Promise((r) => setTimeout(() => r({ ok: true }), 3000)) };",
  'workflows-mcp.config.json': JSON.stringify({ http: { maxConcurrentPerClient: 10_000 } }),
});
const nodeOptions = process.env['BENCH_SERVER_NODE_OPTIONS'];
const s = await startHttpServer(['--log-level', 'error', '--config', join(dir, 'workflows-mcp.config.json')], nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}, join(dir, 'wf'));
const pid = s.child.pid!;
const peer = await startPeer();
try {
  const idle = await phase(s.url, pid, 'local_noop', 1, 200); // warm-up, and the idle /healthz floor
  await load(peer.url, 'hold', 1, 200); // the peer's warm-up
  const rounds = Math.max(1, Number(process.env['BENCH_HTTP_ROUNDS'] ?? 3));
  const ours: Array<Awaited<ReturnType<typeof phase>>> = [];
  const peers: Array<Load & { serverCpuMs: number }> = [];
  for (let i = 0; i < rounds; i++) {
    ours.push(await phase(s.url, pid, 'local_hold', 1, 1000));
    const cpu0 = cpuMs(peer.pid);
    const result = await load(peer.url, 'hold', 1, 1000);
    peers.push({ ...result, serverCpuMs: cpuMs(peer.pid) - cpu0 });
  }
  const median = (x: { latencies: number[] }): number => pct(x.latencies, 0.5);
  // The round whose median is the median of the rounds gives the detailed figures.
  const a = [...ours].sort((x, y) => median(x.load) - median(y.load))[Math.floor(ours.length / 2)]!;
  const peerMedians = peers.map(median);
  const b = await phase(s.url, pid, 'local_hold', 5, 1000);
  const failed = (f: Record<string, number>): number => Object.values(f).reduce((x, y) => x + y, 0);
  report('http', 'http-results', {
    ...header(),
    healthz_idle_ms_p50_floor: round(pct(idle.rtts, 0.5), 2),
    workflow_seconds_floor: 3,
    c1000_result_ms_p50: Math.round(median(a.load)),
    c1000_result_ms_p50_rounds: ours.map((r) => Math.round(median(r.load))).join(' / '),
    // The peer under the same load generator, its rounds alternating with ours.
    c1000_peer_result_ms_p50: Math.round(pct(peerMedians, 0.5)),
    c1000_peer_result_ms_p50_rounds: peerMedians.map(Math.round).join(' / '),
    c1000_peer_server_cpu_ms_per_call: round(pct(peers.map((p) => p.serverCpuMs), 0.5) / 1000, 2),
    c1000_peer_failed_calls: peers.reduce((n, p) => n + Object.values(p.failures).reduce((x, y) => x + y, 0), 0),
    c1000_result_ms_p99: Math.round(pct(a.load.latencies, 0.99)),
    // The run started (its first progress came back): what follows is the 3 s workflow and the result.
    c1000_first_progress_ms_p50: Math.round(pct(a.load.firstProgress, 0.5)),
    // CPU per call on each side: the load generator (SDK client) shares these 2 cores with the server.
    c1000_server_cpu_ms_per_call: round(a.serverCpuMs / 1000, 2),
    c1000_client_cpu_ms_per_call: round(a.load.cpuMs / 1000, 2),
    c1000_failed_calls: ours.reduce((n, r) => n + failed(r.load.failures), 0),
    c1000_event_loop_p99_ms: Math.max(...ours.map((r) => r.loopP99)),
    c1000_healthz_ms_max: Math.round(Math.max(...ours.flatMap((r) => r.rtts))),
    c5000_failed_calls: failed(b.load.failures),
    c5000_failures: JSON.stringify(b.load.failures),
    c5000_result_ms_p50: Math.round(pct(b.load.latencies, 0.5)),
    c5000_server_cpu_ms_per_call: round(b.serverCpuMs / 5000, 2),
    c5000_client_cpu_ms_per_call: round(b.load.cpuMs / 5000, 2),
    c5000_healthz_ms_p99: Math.round(pct(b.rtts, 0.99)),
    c5000_healthz_ms_max: Math.round(Math.max(...b.rtts)),
    c5000_event_loop_p99_ms: b.loopP99,
    c5000_rss_peak_mb: Math.round(b.peak),
    goals: 'c1000_result_ms_p50 <= 3500, c1000_event_loop_p99_ms <= 50; c5000_failed_calls = 0, c5000_healthz_ms_max <= 200, c5000_rss_peak_mb <= 400',
  });
} finally {
  peer.stop();
  await stopServer(s.child);
}
