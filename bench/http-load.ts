/**
 * The HTTP bench's load generator, run as its own process: `sessions` MCP sessions, each with
 * `perSession` calls of `tool` at once (progress requested). Prints one JSON line: every call's
 * latency, the time to its first progress notification (the server has started the run: what
 * comes after it is the workflow plus delivering the result), and the failures by message.
 */
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, tool, sessionsArg, perSessionArg, warmArg] = process.argv.slice(2);
const sessions = Number(sessionsArg);
const perSession = Number(perSessionArg);
const clients = await Promise.all(Array.from({ length: sessions }, async () => {
  const c = new Client({ name: 'bench-load', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url!)));
  return c;
}));
// `tool:count` (optional): before the measured calls, each session makes `count` calls of that
// tool at once, twice. An orchestrator is a long-lived process; a fresh one would otherwise
// measure its own JIT warming up (undici's fetch, the SDK's SSE parsing) on the first calls.
if (warmArg) {
  const [warmTool, count] = warmArg.split(':');
  for (let round = 0; round < 2; round++) {
    await Promise.all(clients.flatMap((c) => Array.from({ length: Number(count) }, () => c.callTool({ name: warmTool!, arguments: {} }, undefined, { timeout: 300_000, onprogress: () => {} }))));
  }
}
process.stdout.write('measuring\n'); // the bench starts counting the server's CPU here
/** This process's CPU time for the calls (after connecting): is the load generator the slow part? */
const cpu0 = process.cpuUsage();
const cpuMs = (u: NodeJS.CpuUsage): number => Math.round((u.user + u.system) / 1000);
const latencies: number[] = [];
const firstProgress: number[] = [];
const failures: Record<string, number> = {};
const t0 = performance.now();
await Promise.all(clients.flatMap((c) => Array.from({ length: perSession }, async () => {
  const t = performance.now();
  let first = true;
  const onprogress = (): void => {
    if (first) firstProgress.push(performance.now() - t);
    first = false;
  };
  try {
    const r = await c.callTool({ name: tool!, arguments: {} }, undefined, { timeout: 300_000, onprogress });
    if (r.isError) throw new Error(`isError: ${JSON.stringify(r.content).slice(0, 80)}`);
    latencies.push(performance.now() - t);
  } catch (err) {
    const key = String((err as Error).message).replace(/\d+/g, 'N').slice(0, 100);
    failures[key] = (failures[key] ?? 0) + 1;
  }
})));
const wallMs = performance.now() - t0;
await Promise.all(clients.map((c) => c.close().catch(() => {})));
process.stdout.write(`${JSON.stringify({ latencies, firstProgress, failures, wallMs, cpuMs: cpuMs(process.cpuUsage(cpu0)) })}\n`);
process.exit(0);
