/**
 * The HTTP bench's /healthz prober, run as its own process so its timings are not the load
 * generator's event loop: GET /healthz every 200 ms until stdin closes, then prints one JSON
 * line with every round trip (ms, a failed probe counts as its time to fail) and every answer.
 */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';

const url = new URL('/healthz', process.argv[2]!);
const rtts: number[] = [];
const answers: Array<Record<string, number>> = [];
let stop = false;
process.stdin.on('end', () => (stop = true)).resume();
while (!stop) {
  const t = performance.now();
  try {
    const res = await request(url, { headersTimeout: 30_000 });
    answers.push((await res.body.json()) as Record<string, number>);
  } catch {
    // counted by its time
  }
  rtts.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 200));
}
process.stdout.write(`${JSON.stringify({ rtts, answers })}\n`);
process.exit(0);
