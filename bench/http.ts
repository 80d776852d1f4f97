/**
 * HTTP benchmark (figures, never assertions): 1,000 concurrent in-flight runs over one
 * Streamable HTTP server — peak RSS and event-loop delay p99 as the server itself reports them
 * on /healthz — and calls per second for a no-op workflow. Writes bench/results/http.json and
 * its table in bench/README.md.
 */
import { header, report } from './report.js';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { tempDir, writeFiles } from '../test/helpers/harness.js';
import { startHttpServer, stopServer } from '../test/helpers/http.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function health(url: string): Promise<{ rss_mb: number; event_loop_delay_p99_ms: number }> {
  return (await (await fetch(new URL('/healthz', url))).json()) as { rss_mb: number; event_loop_delay_p99_ms: number };
}

async function once(): Promise<Record<string, number>> {
  const dir = tempDir('wm-bench-http-');
  writeFiles(dir, {
    'noop.workflow.mjs': "export default { name: 'Noop', input: { type: 'object' }, run: () => ({ ok: true }) };",
    'hold.workflow.mjs': "export default { name: 'Hold', input: { type: 'object' }, run: () => new Promise((r) => setTimeout(() => r({ ok: true }), 3000)) };",
  });
  const s = await startHttpServer(['--log-level', 'error'], {}, dir);
  try {
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(s.url)));
    const idle = await health(s.url);
    let peak = idle.rss_mb;
    const sampler = setInterval(() => void health(s.url).then((h) => (peak = Math.max(peak, h.rss_mb))).catch(() => {}), 200);
    await Promise.all(Array.from({ length: 1000 }, () => client.callTool({ name: 'local_hold', arguments: {} }, undefined, { timeout: 120_000, onprogress: () => {} })));
    clearInterval(sampler);
    const loaded = await health(s.url);
    const n = 2000;
    const t = performance.now();
    for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: 50 }, () => client.callTool({ name: 'local_noop', arguments: {} })));
    const perSecond = n / ((performance.now() - t) / 1000);
    await client.close();
    return { rss_idle_mb: idle.rss_mb, rss_peak_1000_in_flight_mb: Math.max(peak, loaded.rss_mb), event_loop_delay_p99_ms: loaded.event_loop_delay_p99_ms, noop_calls_per_second: Math.round(perSecond) };
  } finally {
    await stopServer(s.child);
  }
}

const runs = [await once(), await once(), await once()];
const keys = Object.keys(runs[0]!);
const results: Record<string, unknown> = { ...header(), runs: runs.length };
for (const k of keys) results[k] = median(runs.map((r) => r[k]!));
results['goals'] = 'rss_peak_1000_in_flight_mb <= 250, event_loop_delay_p99_ms <= 50';
report('http', 'http-results', results);
