import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FakeCortex } from '../fakes/cortex/server.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { BIN, tempDir, writeFiles } from '../helpers/harness.js';

const N = 10_000;
/**
 * Generous, for a loaded machine: the issue saw 554 MB for 10,000 Looply workflows while nothing
 * was listed. Measured here alone: ~215 MB (validators compile on a tool's first call; heap
 * ~4 KB per workflow); 400–515 MB when every schema was compiled while listing.
 */
const RSS_BOUND_MB = 450;

interface Served {
  client: Client;
  pid: number;
  listChanged: () => number;
  stderr: () => string;
}

async function serve(env: Record<string, string>, files: Record<string, string> = {}): Promise<Served> {
  const base = tempDir('wm-big-');
  mkdirSync(join(base, 'workflows'));
  writeFiles(join(base, 'workflows'), files);
  const config = join(base, 'config.json');
  writeFileSync(config, JSON.stringify({ maxTools: 100_000 })); // every tool listed, not the compact set
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', '--local', join(base, 'workflows'), '--state-dir', join(base, 'state')], stderr: 'pipe', env: { PATH: process.env['PATH'] ?? '', HOME: base, WORKFLOWS_MCP_CONFIG: config, ...env } });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const client = new Client({ name: 'big', version: '1' });
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void changed++);
  await client.connect(transport);
  return { client, pid: transport.pid!, listChanged: () => changed, stderr: () => err };
}

/** Every tool name, through every tools/list page. */
async function allNames(client: Client): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, ms = 180_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== null) return got;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The server's peak resident set so far (Linux), in MB; or its current one (`VmRSS`). */
function peakRssMb(pid: number, field = 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The platform serves its first pages, then holds the rest: tools are listed and `refresh`
 * answers with what it has while the read goes on; once released, every workflow is listed.
 */
async function progressive(s: Served, prefix: string, perWorkflow: number, release: () => void, readSoFar: RegExp): Promise<void> {
  const first = await waitFor('the first tools', async () => {
    const names = (await allNames(s.client)).filter((n) => n.startsWith(prefix));
    return names.length ? names : null;
  });
  assert.ok(first.length < N * perWorkflow, `only part listed while the platform holds its pages (${first.length})`);
  assert.ok(s.listChanged() >= 1, 'tools/list_changed told the client');
  const r = (await s.client.callTool({ name: 'refresh', arguments: {} })) as CallToolResult;
  const summary = r.structuredContent as { workflows: number; still_reading?: string[] };
  assert.ok(summary.still_reading?.length, `refresh answers while reading: ${JSON.stringify(summary).slice(0, 300)}`);
  assert.ok(summary.workflows > 0 && summary.workflows < N, `refresh gives what it has: ${summary.workflows}`);
  assert.match((r.content[0] as { text: string }).text, readSoFar);
  release();
  const all = await waitFor(`all ${N * perWorkflow} tools`, async () => {
    const names = (await allNames(s.client)).filter((n) => n.startsWith(prefix));
    return names.length >= N * perWorkflow ? names : null;
  });
  assert.equal(new Set(all).size, N * perWorkflow, 'every workflow listed once');
  // Throttled: a few notifications a second at most, not one per page or per workflow.
  assert.ok(s.listChanged() < 200, `${s.listChanged()} tools/list_changed`);
  const peak = peakRssMb(s.pid);
  console.log(`# ${prefix} ${N} workflows: peak RSS ${peak.toFixed(0)} MB, ${s.listChanged()} tools/list_changed`);
  assert.ok(peak < RSS_BOUND_MB, `peak RSS ${peak.toFixed(0)} MB for ${N} workflows`);
}

describe('a platform with 10,000 workflows (#15: listed while it is read, memory bounded)', () => {
  it('Cortex: first tools while the list is read, refresh answers with what it has, all 10,000 listed, peak RSS bounded', async () => {
    const fake = await new FakeCortex().start();
    for (let i = 0; i < N; i++) {
      // Distinct schemas, as a real account has: nothing is shared between workflows.
      fake.workflows.push({ id: `wf_${i}`, name: `Workflow ${i}`, description: `Does thing ${i}.`, scope: 'own', deployed: 1, versions: [{ id: `v_${i}_1`, version: 1, input: { [`text_${i}`]: { type: 'string' }, n: { type: 'number', optional: true } }, steps: [] }] });
    }
    fake.knobs.latencyMs = 20;
    let release = (): void => {};
    fake.knobs.listHold = { afterPage: 20, release: new Promise<void>((r) => (release = r)) };
    const s = await serve({ CORTEX_API_KEY: fake.key, CORTEX_BASE_URL: fake.url });
    try {
      // Each workflow: its latest-version tool and its deployed version's pinned tool.
      await progressive(s, 'cortex_', 2, release, /still reading cortex \(\d+ of its workflows read so far\)/);
      assert.deepEqual(fake.unexpected, []);
    } finally {
      release();
      await s.client.close();
      await fake.close();
    }
  });

  it('Looply: first tools while the pages are read, refresh answers with what it has, all 10,000 listed, peak RSS bounded', async () => {
    const fake = await new FakeLooply().start();
    for (let i = 0; i < N; i++) {
      const id = `wf-${String(i).padStart(5, '0')}`;
      fake.workflows.push({ workflow_id: id, workflow_name: `Workflow ${i}`, workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object', properties: { [`email_${i}`]: { type: 'string' }, n: { type: 'number' } } } });
    }
    fake.knobs.latencyMs = 5;
    let release = (): void => {};
    fake.knobs.listHold = { afterPages: 30, release: new Promise<void>((r) => (release = r)) };
    const s = await serve({ LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url });
    try {
      await progressive(s, 'looply_', 2, release, /still reading looply \(\d+ of its workflows read so far\)/);
      assert.deepEqual(fake.unexpected, []);
    } finally {
      release();
      await s.client.close();
      await fake.close();
    }
  });
});

describe('a 50 MB output (#15: measured and cut without building its JSON text)', () => {
  it('the call answers with the note, the run resource with 4 MB, and the server grows by about the output once, not five times', async () => {
    const size = 50 * 1024 * 1024;
    const big = `export default { name: 'Fifty', version: 1, input: { type: 'object' }, run: () => ({ blob: 'x'.repeat(${size}) }) };`;
    const s = await serve({}, { 'fifty.workflow.mjs': big });
    try {
      await s.client.ping();
      const before = peakRssMb(s.pid);
      const r = (await s.client.callTool({ name: 'local_fifty', arguments: {} })) as CallToolResult;
      const env = r.structuredContent as Record<string, unknown>;
      assert.equal(env['status'], 'completed');
      const note = env['output'] as Record<string, unknown>;
      assert.equal(note['truncated'], true);
      assert.equal(note['size_bytes'], size + '{"blob":""}'.length, 'the exact size of its JSON text');
      assert.match((r.content[0] as { text: string }).text, /truncated: 52428811 bytes of JSON in all/);
      const read = await s.client.readResource({ uri: env['run_uri'] as string });
      const detail = JSON.parse((read.contents[0] as { text: string }).text) as Record<string, unknown>;
      assert.ok((detail['output'] as string).startsWith('{"blob":"xxx'));
      const growth = peakRssMb(s.pid) - before;
      console.log(`# 50 MB output: peak RSS ${before.toFixed(0)} → ${peakRssMb(s.pid).toFixed(0)} MB (+${growth.toFixed(0)})`);
      // Generous: the output itself is 50 MB (one copy the workflow makes); it used to cost ~440 MB more.
      assert.ok(growth < 200, `peak RSS grew ${growth.toFixed(0)} MB for a 50 MB output`);
    } finally {
      await s.client.close();
    }
  });
});
