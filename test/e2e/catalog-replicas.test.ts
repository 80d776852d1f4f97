import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cortexFixtures } from '../fakes/cortex/fixtures.js';
import { FakeCortex } from '../fakes/cortex/server.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { startHarness, tempDir, type Harness } from '../helpers/harness.js';
import { createTestDatabase, pgUnavailable, type TestDatabase } from '../helpers/pg.js';

const skip = (await pgUnavailable()) ?? false;

/** Requests for schemas that never change once deployed (what the shared schema cache saves). */
const schemaReads = (looply: FakeLooply, cortex: FakeCortex): number =>
  (looply.calls['GET getWorkflowSchemaById'] ?? 0) + (cortex.calls['versions'] ?? 0) + (cortex.calls['version'] ?? 0);

describe('catalog snapshots and the schema cache, shared by replicas over one PostgreSQL', { skip }, () => {
  let db: TestDatabase;
  let looply: FakeLooply;
  let cortex: FakeCortex;
  const open: Harness[] = [];
  before(async () => {
    db = await createTestDatabase();
    looply = await new FakeLooply().start();
    looply.workflows.push({ workflow_id: 'wf-enrich', workflow_name: 'Enrich Lead', workflow_version: 4, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] }, states: ['start', 'end'], output: { score: 87 } });
    cortex = await new FakeCortex().start();
    cortex.workflows.push(...cortexFixtures());
  });
  after(async () => {
    for (const h of open) await h.close().catch(() => {});
    await looply?.close();
    await cortex?.close();
    await db?.drop();
  });
  // Each replica has a state folder of its own: only the database is shared.
  const replica = async (): Promise<Harness> => {
    const h = await startHarness({ env: { WORKFLOWS_MCP_DATABASE_URL: db.url, LOOPLY_API_KEY: looply.key, LOOPLY_BASE_URL: looply.url, CORTEX_API_KEY: cortex.key, CORTEX_BASE_URL: cortex.url }, stateDir: tempDir(), live: true });
    open.push(h);
    return h;
  };
  const names = async (h: Harness): Promise<string[]> => (await h.client.listTools()).tools.map((t) => t.name);

  it("B, started after A, lists A's snapshot at once, before its own platform read ends; A's schema reads are not repeated by B", { timeout: 60_000 }, async () => {
    const a = await replica();
    for (const p of ['looply', 'cortex']) assert.equal(await a.app.deps.catalog.whenFresh(p, 20_000), null, `A listed ${p} from ${p} itself`);
    const mine = await names(a);
    assert.ok(mine.includes('looply_enrich_lead') && mine.some((n) => n.startsWith('cortex_')), mine.join(' '));
    const readsByA = schemaReads(looply, cortex);
    assert.ok(readsByA >= 2, `A read schemas from both platforms (${readsByA})`);
    await a.close(); // flushes its snapshot writes
    assert.ok(!existsSync(join(a.stateDir, 'catalog-looply.json')), 'the snapshot is in the database, not the state folder');

    looply.knobs.latencyMs = 4000;
    cortex.knobs.latencyMs = 4000;
    const listsBefore = looply.calls['GET getOrganizationWorkflows'] ?? 0;
    const b = await replica();
    try {
      const listed = await names(b);
      assert.deepEqual(listed.filter((n) => n.startsWith('looply_') || n.startsWith('cortex_')).sort(), mine.filter((n) => n.startsWith('looply_') || n.startsWith('cortex_')).sort(), 'B lists what A listed');
      assert.notEqual(await b.app.deps.catalog.whenFresh('looply', 0), null, 'Looply had not answered B yet');
      assert.ok(b.logs.some((l) => /looply: 1 workflows listed from the last known catalog/.test(l)), b.logs.join(''));
    } finally {
      looply.knobs.latencyMs = 0;
      cortex.knobs.latencyMs = 0;
    }
    for (const p of ['looply', 'cortex']) assert.equal(await b.app.deps.catalog.whenFresh(p, 30_000), null, `B then listed ${p} from ${p} itself`);
    assert.ok((looply.calls['GET getOrganizationWorkflows'] ?? 0) > listsBefore, 'B asked Looply for its list');
    assert.equal(schemaReads(looply, cortex), readsByA, "B took every version's schema from the shared cache");
    assert.ok(!existsSync(join(b.stateDir, 'catalog-looply.json')));
  });
});
