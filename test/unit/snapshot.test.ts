import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { CatalogSnapshots, type SnapshotBackend } from '../../src/mcp/snapshot.js';
import type { Workflow } from '../../src/providers/types.js';

/** A backend in memory that counts writes and can be told to fail. */
class Backend implements SnapshotBackend {
  readonly docs = new Map<string, string>();
  writes = 0;
  failing = false;
  async read(provider: string): Promise<string | null> {
    return this.docs.get(provider) ?? null;
  }
  async write(provider: string, doc: string): Promise<void> {
    this.writes++;
    if (this.failing) throw new Error('database away');
    this.docs.set(provider, doc);
  }
}

const workflow = (description: string): Workflow => ({ provider: 'looply', id: 'wf', name: 'WF', latest: '1', description, versions: [{ key: '1', inputSchema: { type: 'object' } }] });

function logged(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ redactor: new Redactor(), stderrLevel: 'debug', write: (l) => lines.push(l) }), lines };
}

describe('catalog snapshots over a backend', () => {
  it('another process preloads what one saved; an unchanged listing is not written again', async () => {
    const backend = new Backend();
    const one = new CatalogSnapshots(backend, logged().log);
    one.save('looply', [workflow('first')]);
    one.save('looply', [workflow('first')]);
    await one.flush();
    assert.equal(backend.writes, 1);
    const two = new CatalogSnapshots(backend, logged().log);
    assert.equal(two.load('looply'), null, 'nothing before preload');
    await two.preload(['looply', 'cortex']);
    assert.deepEqual(two.load('looply'), [workflow('first')]);
    assert.equal(two.load('cortex'), null);
    two.save('looply', [workflow('first')]);
    await two.flush();
    assert.equal(backend.writes, 1, 'what it read is what it would write');
  });

  it('a listing over the size bound is not kept (one warning); a failed write is tried again with the next save', async () => {
    const backend = new Backend();
    const { log, lines } = logged();
    const snapshots = new CatalogSnapshots(backend, log, 2000);
    snapshots.save('looply', [workflow('x'.repeat(3000))]);
    snapshots.save('looply', [workflow('y'.repeat(3000))]);
    await snapshots.flush();
    assert.equal(backend.writes, 0);
    assert.equal(lines.filter((l) => /too big to keep as a snapshot/.test(l)).length, 1, lines.join(''));
    backend.failing = true;
    snapshots.save('looply', [workflow('small')]);
    await snapshots.flush();
    backend.failing = false;
    snapshots.save('looply', [workflow('small')]);
    await snapshots.flush();
    assert.equal(backend.writes, 2);
    assert.deepEqual(JSON.parse(backend.docs.get('looply')!).workflows, [workflow('small')]);
  });

  it('a stored snapshot over the bound, or of another shape, is not read', async () => {
    const backend = new Backend();
    backend.docs.set('looply', JSON.stringify({ format: 1, workflows: [workflow('z'.repeat(3000))] }));
    backend.docs.set('cortex', JSON.stringify({ format: 99, workflows: [] }));
    const snapshots = new CatalogSnapshots(backend, logged().log, 2000);
    await snapshots.preload(['looply', 'cortex']);
    assert.equal(snapshots.load('looply'), null);
    assert.equal(snapshots.load('cortex'), null);
  });
});
