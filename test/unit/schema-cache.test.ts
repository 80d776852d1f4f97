import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { readThrough, type SchemaCache } from '../../src/providers/schema-cache.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });

describe('the schema cache shared by replicas', () => {
  it('shares what `share` allows, never what may still change, and asks the platform when an entry is refused', async () => {
    const stored = new Map<string, string>();
    const cache: SchemaCache = { get: async (k) => stored.get(k), put: async (k, v) => void stored.set(k, v) };
    const accept = (v: unknown) => (typeof v === 'object' && v !== null && 'draft' in v ? (v as { draft: boolean }) : undefined);
    let fetches = 0;
    const fetch = (draft: boolean) => async () => (fetches++, { draft });
    await readThrough(cache, 'draft', fetch(true), accept, log, (v) => !v.draft);
    await readThrough(cache, 'active', fetch(false), accept, log, (v) => !v.draft);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([...stored.keys()], ['active'], 'a draft is not shared');
    await readThrough(cache, 'active', fetch(false), accept, log);
    assert.equal(fetches, 2, 'the shared entry answered');
    stored.set('junk', '{"other":1}');
    await readThrough(cache, 'junk', fetch(false), accept, log);
    assert.equal(fetches, 3, 'an entry of the wrong shape means asking the platform');
  });
});
