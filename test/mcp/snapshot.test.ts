import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeLooply } from '../fakes/looply/server.js';
import { envelope, journalBackend, startHarness, tempDir, text } from '../helpers/harness.js';

let fake: FakeLooply;
before(async () => {
  fake = await new FakeLooply().start();
  fake.workflows.push({ workflow_id: 'wf-enrich', workflow_name: 'Enrich Lead', workflow_version: 4, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] }, states: ['start', 'end'], output: { score: 87 } });
});
after(() => fake.close());

const names = async (h: Awaited<ReturnType<typeof startHarness>>): Promise<string[]> => (await h.client.listTools()).tools.map((t) => t.name);

describe('catalog snapshots: a restarted server lists a platform at once', () => {
  const stateDir = tempDir();

  it('lists from the last known catalog while the platform is slow; a call waits for the real listing', { timeout: 30_000 }, async () => {
    const first = await startHarness({ env: { LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url }, stateDir, live: true });
    assert.ok((await names(first)).includes('looply_enrich_lead'));
    await first.close();
    // With a database the snapshot is kept there (shared by replicas), not in the state folder.
    assert.equal(existsSync(join(stateDir, 'catalog-looply.json')), journalBackend() === 'sqlite');
    fake.knobs.latencyMs = 2500;
    const started = Date.now();
    const h = await startHarness({ env: { LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url }, stateDir, live: true });
    try {
      assert.ok((await names(h)).includes('looply_enrich_lead'), 'listed before Looply answered');
      assert.ok(h.logs.some((l) => /looply: 1 workflows listed from the last known catalog/.test(l)), h.logs.join(''));
      const ticker = setInterval(() => fake.advance(1), 200);
      try {
        const r = await h.call('looply_enrich_lead', { email: 'a@b.c' });
        assert.equal(envelope(r)['status'], 'completed', text(r));
        assert.ok(Date.now() - started >= 2500, 'the call waited for the fresh listing');
      } finally {
        clearInterval(ticker);
      }
    } finally {
      fake.knobs.latencyMs = 0;
      await h.close();
    }
  });

  it('with the platform unreachable, its tools stay listed and a call says why, at once, starting nothing', { timeout: 30_000 }, async () => {
    const h = await startHarness({ env: { LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: 'http://127.0.0.1:9/v2' }, stateDir, live: true });
    try {
      assert.ok((await names(h)).includes('looply_enrich_lead'));
      const t = Date.now();
      const r = await h.call('looply_enrich_lead', { email: 'a@b.c' });
      assert.equal(r.isError, true);
      assert.match(text(r), /looply has not answered since this server started \(.*\); its tools are from the last known list, so no run was started/);
      assert.ok(Date.now() - t < 5000);
      const g = await h.call('run_workflow', { provider: 'looply', workflow_id: 'wf-enrich', input: { email: 'a@b.c' } });
      assert.match(text(g), /has not answered since this server started/);
    } finally {
      await h.close();
    }
  });
});
