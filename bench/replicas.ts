/**
 * Replicas benchmark (figures, never assertions): runs/s and call p50 for a no-op and a 3 s
 * workflow through one PostgreSQL replica and three, beside the SQLite single process as the
 * floor. Each replica gets its own load generator process (bench/http-load.ts), started at
 * once; runs/s is all calls over the longest load's wall time. Goal: three replicas ≥ 2× one,
 * where the load generators are not the bottleneck — on a 2-core machine they share the cores
 * with the replicas and PostgreSQL, so the figure says so. Writes bench/results/replicas.json
 * and its table in bench/README.md.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { tempDir, writeFiles } from '../test/helpers/harness.js';
import { startHttpServer, stopServer } from '../test/helpers/http.js';
import { createTestDatabase, pgUnavailable } from '../test/helpers/pg.js';
import { header, report, root } from './report.js';

const pct = (xs: number[], p: number): number => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : NaN);

function load(url: string, tool: string, sessions: number, perSession: number): Promise<{ latencies: number[]; failures: Record<string, number>; wallMs: number }> {
  const p = spawn(process.execPath, [join(root, 'dist/bench/http-load.js'), url, tool, String(sessions), String(perSession)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}`)))));
}

async function measure(urls: string[], tool: string, perReplica: number): Promise<{ runsPerS: number; p50: number; failed: number }> {
  const results = await Promise.all(urls.map((u) => load(u, tool, 2, Math.ceil(perReplica / 2))));
  const calls = results.reduce((n, r) => n + r.latencies.length, 0);
  const wall = Math.max(...results.map((r) => r.wallMs));
  return { runsPerS: Math.round((calls / wall) * 1000 * 10) / 10, p50: Math.round(pct(results.flatMap((r) => r.latencies), 0.5)), failed: results.reduce((n, r) => n + Object.values(r.failures).reduce((a, b) => a + b, 0), 0) };
}

const why = await pgUnavailable();
if (why) throw new Error(`the replicas bench needs PostgreSQL: ${why}`);
const dir = tempDir('wm-bench-replicas-');
writeFiles(dir, {
  'wf/noop.workflow.mjs': "export default { name: 'Noop', input: { type: 'object' }, run: () => ({ ok: true }) };",
  'wf/hold.workflow.mjs': "export default { name: 'Hold', input: { type: 'object' }, run: () => new Promise((r) => setTimeout(() => r({ ok: true }), 3000)) };",
  'workflows-mcp.config.json': JSON.stringify({ http: { maxConcurrentPerClient: 10_000 } }),
});
const args = ['--log-level', 'error', '--config', join(dir, 'workflows-mcp.config.json')];
const NOOP = 200; // calls per replica
const HOLD = 100; // calls per replica, all in flight at once
const figures: Record<string, unknown> = { ...header(), cores: availableParallelism() };
async function scenario(name: string, count: number, env: Record<string, string>): Promise<void> {
  const servers = [];
  for (let i = 0; i < count; i++) servers.push(await startHttpServer(args, env, join(dir, 'wf')));
  try {
    const urls = servers.map((s) => s.url);
    process.stderr.write(`${name}: warm-up\n`);
    await measure(urls, 'local_noop', 40); // warm-up
    process.stderr.write(`${name}: no-op\n`);
    const noop = await measure(urls, 'local_noop', NOOP);
    process.stderr.write(`${name}: 3 s\n`);
    const hold = await measure(urls, 'local_hold', HOLD);
    Object.assign(figures, {
      [`${name}_noop_runs_per_s`]: noop.runsPerS, [`${name}_noop_call_p50_ms`]: noop.p50,
      [`${name}_hold3s_runs_per_s`]: hold.runsPerS, [`${name}_hold3s_call_p50_ms`]: hold.p50,
      [`${name}_failed_calls`]: noop.failed + hold.failed,
    });
  } finally {
    for (const s of servers) await stopServer(s.child);
  }
}
const db = await createTestDatabase();
try {
  await scenario('sqlite_1', 1, {});
  await scenario('pg_1', 1, { WORKFLOWS_MCP_DATABASE_URL: db.url });
  await scenario('pg_3', 3, { WORKFLOWS_MCP_DATABASE_URL: db.url });
} finally {
  await db.drop();
}
const ratio = (k: string): number => Math.round(((figures[`pg_3_${k}`] as number) / (figures[`pg_1_${k}`] as number)) * 100) / 100;
figures['pg_3_over_pg_1_noop'] = ratio('noop_runs_per_s');
figures['pg_3_over_pg_1_hold3s'] = ratio('hold3s_runs_per_s');
figures['goal'] = 'pg_3 runs/s >= 2x pg_1 where the load generators are not the bottleneck';
figures['note'] = (figures['cores'] as number) <= 2
  ? 'on this machine the load generators, the replicas and PostgreSQL share the cores: the generators are a bottleneck and the ratio is a floor, not the scaling of replicas'
  : 'load generators run beside the replicas; read the ratio with the cores in mind';
report('replicas', 'replicas-results', figures);
