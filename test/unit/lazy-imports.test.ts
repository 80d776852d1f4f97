import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, it } from 'node:test';
import { ajvInstances } from '../../src/mcp/schema.js';
import { startHarness, type Harness } from '../helpers/harness.js';

// CommonJS packages, even when imported from ESM, land in the CommonJS module cache: what this
// process has loaded so far. (A unit test file: its process serves the SQLite journal only.)
const cache = createRequire(import.meta.url).cache;
const loaded = (re: RegExp): boolean => Object.keys(cache).some((path) => re.test(path));
const PG = /node_modules\/pg\//;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('start-up loads only what it needs', () => {
  it('a SQLite server lists its tools without the PostgreSQL client or an Ajv instance; the first call builds one', async () => {
    h = await startHarness({ files: { 'echo.workflow.mjs': "export default { name: 'Echo', version: 1, input: { type: 'object', properties: { n: { type: 'integer' } } }, run: (i) => i };" } });
    assert.ok((await h.client.listTools()).tools.some((t) => t.name === 'local_echo'));
    assert.equal(loaded(PG), false, 'pg is loaded only with state.databaseUrl');
    assert.equal(ajvInstances.count, 0, 'an Ajv instance is built on the first validation');
    const bad = await h.call('local_echo', { n: 'x' });
    assert.equal(bad.isError, true);
    assert.equal(ajvInstances.count, 1, 'one dialect (2020-12), built once');
    assert.equal(loaded(PG), false);
  });
});
