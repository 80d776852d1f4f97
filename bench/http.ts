/**
 * HTTP benchmark (figures, never assertions). The server, the load generator
 * (bench/http-load.ts) and the /healthz prober (bench/http-probe.ts) are three processes; this
 * one only starts them and samples the server's RSS from /proc.
 * - 1,000 calls of a 3 s workflow in flight over one session: the time to each result (floor:
 *   the 3 s the workflow takes), the server's event-loop p99 (its /healthz, last 10 s). Beside it,
 *   the same load against the peer: the smallest server the SDK's own Streamable HTTP transport
 *   makes (bench/minimal-http.ts, one 3 s tool, no journal). After one unmeasured round each (the
 *   servers' JIT), they alternate, `BENCH_HTTP_ROUNDS` rounds each (3); the figure is the median
 *   of the rounds' medians. The load generator warms up first (an orchestrator is a long-lived
 *   process); each round also runs once more with a fresh one, reported beside it;
 * - 5,000 in flight over 5 sessions: failed calls, /healthz round trip (floor: the same probe
 *   while idle), peak RSS.
 * `http.maxConcurrentPerClient` is raised to 10,000: its default (1,000 calls at once per
 * principal, and every session here is the same local user) would refuse 4,000 of them with
 * 429 by design. Writes bench/results/http.json and its table in bench/README.md.
 * `BENCH_SERVER_NODE_OPTIONS` goes to the server as NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
 */
import { header, report, root } from './report.js';
import { benchScript, processCpuMs, rssMb } from './children.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, writeFiles } from '../test/helpers/harness.js';
import { startHttpServer, stopServer } from '../test/helpers/http.js';

const failed = (f: Record<string, number>): number => Object.values(f).reduce((x, y) => x + y, 0);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => (xs.length ? sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : NaN);
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

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

/**
 * One load-generator process against `url`: `sessions` × `perSession` calls of `tool` at once,
 * after a warm-up of `warm` (`tool:count`) when given. With `pid`, that server's CPU time over the
 * measured calls (not the warm-up).
 */
async function load(url: string, tool: string, sessions: number, perSession: number, warm?: string, pid?: number): Promise<Load & { serverCpuMs: number }> {
  let cpu0 = pid ? processCpuMs(pid) : 0;
  const run = benchScript<Load>('http-load.js', [url, tool, String(sessions), String(perSession), ...(warm ? [warm] : [])], (line) => {
    if (line === 'measuring' && pid) cpu0 = processCpuMs(pid);
  });
  const result = await run.done;
  return { ...result, serverCpuMs: pid ? processCpuMs(pid) - cpu0 : NaN };
}

/** A load against our server, with its /healthz probed and its RSS sampled meanwhile. */
async function phase(url: string, pid: number, tool: string, sessions: number, perSession: number, warm?: string) {
  const probe = benchScript<{ rtts: number[]; answers: Array<{ event_loop_delay_p99_ms: number }> }>('http-probe.js', [url]);
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
  const result = await load(url, tool, sessions, perSession, warm, pid);
  clearInterval(sampler);
  probe.stop();
  const health = await probe.done;
  return {
    load: result, peak, rtts: health.rtts, serverCpuMs: result.serverCpuMs,
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
  // Each server's warm-up: one whole round, not measured (JIT compilation of the call path goes on
  // through the first two rounds of 1,000, on V8's threads, beside the load generator).
  await load(s.url, 'local_hold', 1, 1000);
  await load(peer.url, 'hold', 1, 1000);
  const rounds = Math.max(1, Number(process.env['BENCH_HTTP_ROUNDS'] ?? 3));
  const ours: Array<Awaited<ReturnType<typeof phase>>> = [];
  const peers: Array<Load & { serverCpuMs: number }> = [];
  const oursCold: Load[] = [];
  const peersCold: Load[] = [];
  for (let i = 0; i < rounds; i++) {
    // A warm load generator (300 no-op calls at once, twice, first), then a fresh one.
    ours.push(await phase(s.url, pid, 'local_hold', 1, 1000, 'local_noop:300'));
    peers.push(await load(peer.url, 'hold', 1, 1000, 'noop:300', peer.pid));
    oursCold.push(await load(s.url, 'local_hold', 1, 1000));
    peersCold.push(await load(peer.url, 'hold', 1, 1000));
  }
  const median = (x: { latencies: number[] }): number => pct(x.latencies, 0.5);
  const medianOfRounds = (xs: Array<{ latencies: number[] }>): number => Math.round(pct(xs.map(median), 0.5));
  const roundsText = (xs: Array<{ latencies: number[] }>): string => xs.map((x) => Math.round(median(x))).join(' / ');
  // The round whose median is the median of the rounds gives the detailed figures.
  const a = [...ours].sort((x, y) => median(x.load) - median(y.load))[Math.floor(ours.length / 2)]!;
  const b = await phase(s.url, pid, 'local_hold', 5, 1000);
  report('http', 'http-results', {
    ...header(),
    healthz_idle_ms_p50_floor: round(pct(idle.rtts, 0.5), 2),
    workflow_seconds_floor: 3,
    c1000_result_ms_p50: Math.round(median(a.load)),
    c1000_result_ms_p50_rounds: roundsText(ours.map((r) => r.load)),
    // The peer under the same load generator, its rounds alternating with ours.
    c1000_peer_result_ms_p50: medianOfRounds(peers),
    c1000_peer_result_ms_p50_rounds: roundsText(peers),
    c1000_peer_server_cpu_ms_per_call: round(pct(peers.map((p) => p.serverCpuMs), 0.5) / 1000, 2),
    c1000_peer_failed_calls: peers.reduce((n, p) => n + failed(p.failures), 0),
    // The same with a fresh load-generator process (its JIT cold): what its warm-up is worth.
    c1000_cold_client_result_ms_p50: medianOfRounds(oursCold),
    c1000_cold_client_result_ms_p50_rounds: roundsText(oursCold),
    c1000_cold_client_peer_result_ms_p50: medianOfRounds(peersCold),
    c1000_cold_client_peer_result_ms_p50_rounds: roundsText(peersCold),
    c1000_result_ms_p99: Math.round(pct(a.load.latencies, 0.99)),
    // The run started (its first progress came back): what follows is the 3 s workflow and the result.
    c1000_first_progress_ms_p50: Math.round(pct(a.load.firstProgress, 0.5)),
    // CPU per call on each side: the load generator (SDK client) shares these 2 cores with the server.
    c1000_server_cpu_ms_per_call: round(a.serverCpuMs / 1000, 2),
    c1000_client_cpu_ms_per_call: round(a.load.cpuMs / 1000, 2),
    c1000_failed_calls: [...ours.map((r) => r.load), ...oursCold].reduce((n, r) => n + failed(r.failures), 0),
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
