import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { schemaCompilations } from '../../src/mcp/schema.js';
import { startHarness, text, type Harness } from '../helpers/harness.js';

/** A module workflow whose input schema is unique to it (`n` differs). */
function workflow(n: number, input: Record<string, unknown> = { type: 'object', properties: { [`field_${n}`]: { type: 'integer', minimum: n } }, required: [`field_${n}`] }): string {
  return `export default { name: 'Lazy ${n}', version: 1, input: ${JSON.stringify(input)}, run: (i) => ({ echoed: i }) };`;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('input validators compile on first use', () => {
  it('listing compiles none; each tool compiles once, on its first call, and keeps field-level errors', async () => {
    const files = Object.fromEntries([1, 2, 3, 4].map((n) => [`lazy-${n}.workflow.mjs`, workflow(n)]));
    const before = schemaCompilations.count;
    h = await startHarness({ files });
    const { tools } = await h.client.listTools();
    for (const n of [1, 2, 3, 4]) assert.ok(tools.some((t) => t.name === `local_lazy_${n}`), `local_lazy_${n} listed`);
    assert.equal(schemaCompilations.count, before, 'start-up and tools/list compile no validator');

    const bad = await h.call('local_lazy_1', { field_1: 0, extra: true });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /field_1: must be >= 1/);
    assert.match(text(bad), /extra: is not an accepted field|field_1/);
    assert.equal(schemaCompilations.count, before + 1, 'the first call compiles that tool\'s validator');
    const good = await h.call('local_lazy_1', { field_1: 5 });
    assert.notEqual(good.isError, true, text(good));
    await h.call('local_lazy_1', { field_1: 'x' });
    assert.equal(schemaCompilations.count, before + 1, 'later calls reuse it');

    await h.call('local_lazy_3', { field_3: 3 });
    await h.call('local_lazy_3', {});
    assert.equal(schemaCompilations.count, before + 2, 'one more for the other tool, once');
    // The generic run_workflow shares the tool's validator: same schema, no new compile.
    await h.call('run_workflow', { provider: 'local', workflow_id: 'lazy-3', input: { field_3: 4 } });
    assert.equal(schemaCompilations.count, before + 2);
    await h.client.listTools();
    assert.equal(schemaCompilations.count, before + 2, 'listing again compiles nothing');
  });

  it('a schema Ajv cannot compile is listed, then on its first call accepts any object with one warning, never a crash', async () => {
    h = await startHarness({ files: { 'broken.workflow.mjs': workflow(9, { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }) } });
    const { tools } = await h.client.listTools();
    assert.ok(tools.some((t) => t.name === 'local_lazy_9'));
    const first = await h.call('local_lazy_9', { anything: 1 });
    assert.notEqual(first.isError, true, text(first));
    assert.match(text(first), /completed/);
    await h.call('local_lazy_9', { other: 2 });
    const warnings = h.logs.filter((l) => l.includes('input schema does not compile'));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /local\/lazy-9 v1: input schema does not compile \(.*missing.*\); the tool accepts any object/);
  });
});
