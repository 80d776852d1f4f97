/**
 * Shared state (#11): journal write cost per run on each backend, and the time from kill -9 of a
 * replica to another replica adopting its platform runs. `npm run bench:state`; needs PostgreSQL
 * on 127.0.0.1:5432 (as the tests do).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createLogger } from '../src/core/log.js';
import { Redactor } from '../src/core/redact.js';
import type { Run } from '../src/providers/types.js';
import type { RunStore } from '../src/runs/journal.js';
import { openRunStore } from '../src/runs/store.js';
import { Database } from '../src/state/database.js';
import { FakeLooply } from '../test/fakes/looply/server.js';
import { tempDir, until } from '../test/helpers/harness.js';
import { startHttpServer, stopServer } from '../test/helpers/http.js';
import { createTestDatabase } from '../test/helpers/pg.js';
import { header, report } from './report.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
const RUNS = 500;
const ADOPT_RUNS = 20;

/** One run's journal life: insert, then three updates (running, a step, completed). */
async function writeCost(store: RunStore): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const at = new Date(Date.UTC(2026, 0, 1) + i).toISOString();
    const run: Run = { provider: 'looply', workflowId: 'w', runId: `r${i}`, status: 'queued', input: { i }, output: null, error: null, createdAt: at, startedAt: null, endedAt: null };
    await store.insert(run, store.owner, at);
    const j = { ...run, updatedAt: at, owner: store.owner, cancelRequested: false, message: null, steps: [], startedBy: null };
    await store.update({ ...j, status: 'running', startedAt: at }, at);
    await store.update({ ...j, status: 'running', message: 'step one', steps: [{ key: 's1', status: 'completed', at }] }, at);
    await store.update({ ...j, status: 'completed', output: { ok: i }, endedAt: at }, at);
  }
  return (performance.now() - t0) / RUNS;
}

async function adoption(url: string): Promise<{ seconds: number; duplicates: number; adopted: number }> {
  const fake = await new FakeLooply().start();
  fake.workflows.push({ workflow_id: 'wf', workflow_name: 'Steps', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object' }, states: ['start', 'one', 'end'], output: { done: 1 } });
  const config = join(tempDir(), 'config.json');
  writeFileSync(config, JSON.stringify({ runs: { waitSeconds: 0 } })); // the default lease (6 s)
  const env = { WORKFLOWS_MCP_DATABASE_URL: url, LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url };
  const a = await startHttpServer(['--config', config], env);
  const b = await startHttpServer(['--config', config], env);
  try {
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(a.url)));
    for (let i = 0; i < ADOPT_RUNS; i++) await client.callTool({ name: 'looply_steps', arguments: {} });
    a.child.kill('SIGKILL');
    const killed = performance.now();
    const adopted = (): number => (b.stderr().match(/adopted from/g) ?? []).length;
    await until(() => adopted() === ADOPT_RUNS, 60_000, 'adoption');
    const seconds = (performance.now() - killed) / 1000;
    return { seconds, duplicates: fake.triggers.length - ADOPT_RUNS, adopted: adopted() };
  } finally {
    if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    await stopServer(b.child);
    await fake.close();
  }
}

const db = await createTestDatabase();
try {
  const sqlite = await openRunStore({ stateDir: join(tempDir(), 'state'), database: null });
  const sqliteMs = await writeCost(sqlite);
  await sqlite.close();
  const pgDb = await Database.open({ url: await db.schemaUrl(), poolSize: 4, log });
  const pg = await openRunStore({ stateDir: '', database: pgDb });
  const pgMs = await writeCost(pg);
  await pg.close();
  await pgDb.close();
  const adopt = await adoption(db.url);
  report('state', 'state-results', {
    ...header(),
    [`journal write cost per run, SQLite (insert + 3 updates, ${RUNS} runs)`]: `${sqliteMs.toFixed(2)} ms`,
    [`journal write cost per run, PostgreSQL (same, one connection at a time, with NOTIFY)`]: `${pgMs.toFixed(2)} ms`,
    [`kill -9 → all ${ADOPT_RUNS} Looply runs adopted by the other replica (lease 6 s)`]: `${adopt.seconds.toFixed(1)} s (goal ≤ 10 s)`,
    'duplicate starts': `${adopt.duplicates} (goal 0)`,
  });
} finally {
  await db.drop();
}
