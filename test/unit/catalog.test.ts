import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { Catalog } from '../../src/mcp/catalog.js';
import type { CatalogListing, Provider } from '../../src/providers/types.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
const caps = { listWorkflows: true, versions: false, schema: true, cancel: false, history: false, stream: false, resume: false, replay: false, schedule: false, files: false };

/** A platform whose listing arrives when the test says so. */
function slowProvider(name: string): { provider: Provider; answer(listing: CatalogListing): void } {
  let answer: (l: CatalogListing) => void = () => {};
  const provider = {
    name, capabilities: caps, runsOutliveProcess: true,
    listWorkflows: () => new Promise<CatalogListing>((r) => (answer = r)),
  } as unknown as Provider;
  return { provider, answer: (l) => answer(l) };
}

describe('catalog refresh for someone waiting', () => {
  it('answers within its bound with the platforms still being read, and the reading goes on', async () => {
    const slow = slowProvider('slowpoke');
    const catalog = new Catalog({ providers: [slow.provider], filters: new Map(), toolNameMax: 48, log });
    let changes = 0;
    catalog.onChange(() => changes++);
    assert.equal(await catalog.refreshFor(10), null);
    assert.deepEqual(catalog.reading, ['slowpoke']);
    slow.answer({ workflows: [{ provider: 'slowpoke', id: 'w', name: 'W', latest: '1', versions: [{ key: '1', inputSchema: { type: 'object' } }] }], problems: [] });
    assert.equal(await catalog.refresh(), true, 'the same refresh, now finished');
    assert.deepEqual(catalog.reading, []);
    assert.equal(catalog.tools.length, 1);
    assert.ok(changes >= 1, 'listeners (tools/list_changed) hear of the late tools');
  });
});
