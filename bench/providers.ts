/**
 * Leap and Lleverage benchmarks (figures, never assertions): Leap completion-to-result latency
 * with a webhook vs polling only; a 25 MB Lleverage upload — throughput, and how much the
 * process grows while sending it (the file is streamed, not buffered). Writes
 * bench/results/providers.json and its table in bench/README.md.
 */
import { header, report } from './report.js';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeLeap } from '../test/fakes/leap/server.js';
import { startHarness, tempDir, until } from '../test/helpers/harness.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function leapLatency(webhooks: boolean): Promise<number> {
  const fake = await new FakeLeap().start();
  const h = await startHarness({ live: webhooks, configFile: { providers: { leap: { apiKey: fake.key, baseUrl: fake.url, workflows: [{ id: 'wkf_bench000000000' }] } }, ...(webhooks ? { webhooks: { port: 0 } } : {}) } });
  const samples: number[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      const call = h.call('leap_wkf_bench000000000', {});
      await until(() => fake.runs.size > 0, 5000, 'the run to start');
      await fake.advance(); // running
      await new Promise((r) => setTimeout(r, 800 + ((i * 397) % 2400))); // completes at a varying moment
      const done = performance.now();
      await fake.advance(); // completed (and the webhook, when on)
      await call;
      samples.push(performance.now() - done);
      fake.runs.clear();
    }
  } finally {
    await h.close();
    await fake.close();
  }
  return Math.round(median(samples));
}

async function upload(): Promise<Record<string, number>> {
  const dir = tempDir('wm-bench-upload-');
  const file = join(dir, 'big.bin');
  const size = 25 * 1024 * 1024 - 1024;
  writeFileSync(file, Buffer.alloc(size, 7));
  let received = 0;
  const receiver = createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => ((received += c.length), hash.update(c)));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: received })));
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/upload`;
  const h = await startHarness({ configFile: { providers: { lleverage: { endpoints: [{ name: 'Upload', url, fields: { file: 'file' } }] } }, files: { roots: [dir], maxBytes: 26214400 } } });
  global.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t = performance.now();
  await h.call('lleverage_upload', { file });
  const ms = performance.now() - t;
  clearInterval(sampler);
  await h.close();
  receiver.close();
  return { upload_bytes: received, upload_ms: Math.round(ms), upload_mb_per_s: Math.round((size / 1048576 / (ms / 1000)) * 10) / 10, upload_rss_growth_mb: Math.round(((peak - before) / 1048576) * 10) / 10, upload_file_mb: 25 };
}

const results: Record<string, unknown> = header();
results['leap_completion_to_result_ms_webhook_p50'] = await leapLatency(true);
results['leap_completion_to_result_ms_polling_p50'] = await leapLatency(false);
Object.assign(results, await upload());
report('providers', 'providers-results', results);
