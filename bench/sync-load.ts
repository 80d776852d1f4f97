/**
 * The synchronous-endpoint load both per-call benches send (bench/run.ts, bench/percall.ts): the
 * Lleverage fake in a process of its own, rounds of 32 calls at once, and the floor — the same
 * request sent directly with undici to the same fake.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { root } from './report.js';

/**
 * The Lleverage fake (bench/fake-lleverage.ts) in a process of its own: in the bench's process it
 * would share one event loop with the SDK client, so the client's work would delay the platform's
 * answers on the MCP path only.
 */
export async function startLleverageFake(): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  const child = spawn(process.execPath, [join(root, 'dist/bench/fake-lleverage.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [url] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url, pid: child.pid!, close: async () => void (child.stdin!.end(), await once(child, 'exit')) };
}

/** `rounds` rounds of 32 calls of `one` at once; every call's time in ms. */
export async function round32(one: () => Promise<unknown>, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await Promise.all(Array.from({ length: 32 }, async () => {
      const t = performance.now();
      await one();
      times.push(performance.now() - t);
    }));
  }
  return times;
}

/** The floor: the request the server would send, sent directly to the fake. */
export function directEcho(url: string): () => Promise<void> {
  return async () => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
    await res.body.json();
  };
}
