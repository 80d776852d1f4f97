import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { envelope, journalBackend, startHarness, tempDir, text, type Harness } from '../helpers/harness.js';
import { looplyFake } from '../helpers/looply.js';

let h: Harness | undefined;
const { fake, env } = looplyFake(async () => {
  await h?.close();
  h = undefined;
});

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);
/** Every byte the state folder holds, WAL included, as text to search. */
const onDisk = (dir: string): string => readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n');

describe('what the server keeps on disk', () => {
  it('the state folder is 0700 and every file in it 0600, even under umask 022 and in a folder that was 0755', { skip: journalBackend() === 'postgres' && 'the SQLite journal file\'s modes; on PostgreSQL there is no journal file' }, async () => {
    const old = process.umask(0o022);
    try {
      const stateDir = join(tempDir(), 'state');
      mkdirSync(stateDir, { mode: 0o755 });
      chmodSync(stateDir, 0o755);
      fake.workflows.push({ workflow_id: 'wf-a', workflow_name: 'A', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object' }, states: ['start', 'end'] });
      h = await startHarness({ env: env(), stateDir, files: { 'e.workflow.mjs': `export default { name: 'E', version: 1, input: { type: 'object' }, run: () => ({ ok: 1 }) };` } });
      await h.app.deps.catalog.refresh();
      assert.equal(envelope(await h.call('local_e', {}))['status'], 'completed');
      assert.equal(mode(stateDir), '700');
      const files = readdirSync(stateDir);
      assert.ok(files.includes('runs.db') && files.includes('catalog-looply.json'), files.join(' '));
      for (const f of files) assert.equal(mode(join(stateDir, f)), '600', f);
      await h.close();
      h = undefined;
      const fresh = join(tempDir(), 'new', 'state');
      h = await startHarness({ stateDir: fresh });
      assert.equal(mode(fresh), '700');
    } finally {
      process.umask(old);
    }
  });

  it("a platform that echoes the API key in a run's output: masked in the result and never written to the journal in clear", async () => {
    fake.workflows.push({ workflow_id: 'wf-echo', workflow_name: 'Echo Key', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object' }, states: ['start', 'end'], output: { said: `my key is ${fake.key}`, nested: [{ k: fake.key }] } });
    h = await startHarness({ env: env() });
    const tick = setInterval(() => fake.advance(1), 100);
    const r = await h.call('looply_echo_key', {}).finally(() => clearInterval(tick));
    assert.equal(envelope(r)['status'], 'completed');
    assert.doesNotMatch(JSON.stringify(r), new RegExp(fake.key));
    assert.match(text(r), /\[redacted\]/);
    const stored = await h.app.deps.tracker.store.get('looply', envelope(r)['run_id'] as string);
    assert.deepEqual(stored?.output, { said: 'my key is [redacted]', nested: [{ k: '[redacted]' }] });
    assert.ok(!onDisk(h.stateDir).includes(fake.key), 'the key is nowhere in the state folder');
  });

  it('a big output is kept in the journal only up to runs.storeOutputMaxBytes, with a note; the run resource says so after a restart', async () => {
    const stateDir = join(tempDir(), 'state');
    const files = { 'big.workflow.mjs': `export default { name: 'Big', version: 1, input: { type: 'object' }, run: () => ({ blob: 'y'.repeat(6 * 1024 * 1024) }) };` };
    h = await startHarness({ stateDir, files, configFile: { runs: { storeOutputMaxBytes: 65536 } } });
    const r = await h.call('local_big', {});
    assert.equal(envelope(r)['status'], 'completed');
    const runId = envelope(r)['run_id'] as string;
    await h.close();
    const size = readdirSync(stateDir).filter((f) => f.startsWith('runs.db')).reduce((n, f) => n + statSync(join(stateDir, f)).size, 0);
    assert.ok(size < 2 * 1024 * 1024, `the journal holds ${size} bytes for a 6 MB output`);
    h = await startHarness({ stateDir, files });
    const stored = (await h.app.deps.tracker.store.get('local', runId))!.output as Record<string, unknown>;
    assert.equal(stored['truncated'], true);
    assert.ok((stored['size_bytes'] as number) > 6 * 1024 * 1024);
    assert.equal(Buffer.byteLength(stored['head'] as string), 65536);
    assert.match(stored['note'] as string, /runs\.storeOutputMaxBytes/);
    const read = await h.client.readResource({ uri: envelope(r)['run_uri'] as string });
    assert.match((read.contents[0] as { text: string }).text, /only the first 65536 bytes of its JSON text are kept in the journal/);
  });
});
