import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOCAL_PRINCIPAL } from '../../src/mcp/principal.js';
import { MemorySessionStore } from '../../src/serve/session-store.js';

const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };
const note = (i: number) => ({ jsonrpc: '2.0' as const, method: 'notifications/message', params: { level: 'info', data: i } });

describe('the embedded session store', () => {
  it('reads one stream after an event id, among many streams, oldest first and at most `limit`', async () => {
    const store = new MemorySessionStore();
    await store.create({ id: 's', principal: LOCAL_PRINCIPAL, init: INIT, lastSeen: Date.now() });
    const heard: Array<string | undefined> = [];
    store.onEvent('s', (stream) => heard.push(stream));
    const ids: Record<string, string[]> = { a: [], b: [], c: [] };
    for (let i = 0; i < 30; i++) {
      const stream = 'abc'[i % 3]!;
      ids[stream]!.push(await store.appendEvent('s', stream, note(i)));
    }
    const b = await store.eventsAfter('s', 'b', null, 100);
    assert.deepEqual(b.map((e) => e.id), ids['b']);
    assert.deepEqual(b.map((e) => (e.message as unknown as { params: { data: number } }).params.data), [1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
    assert.deepEqual((await store.eventsAfter('s', 'b', ids['b']![3]!, 2)).map((e) => e.id), ids['b']!.slice(4, 6));
    assert.deepEqual((await store.eventsAfter('s', 'b', ids['a']![5]!, 100)).map((e) => e.id), ids['b']!.slice(5), 'after an id of another stream');
    assert.deepEqual(await store.eventsAfter('s', 'b', ids['b']!.at(-1)!, 100), []);
    assert.deepEqual(await store.eventsAfter('s', 'nothing', null, 100), []);
    assert.equal(await store.streamOf('s', ids['c']![2]!), 'c');
    assert.equal(await store.lastEventId('s'), ids['c']!.at(-1));
    assert.deepEqual(heard.slice(0, 4), ['a', 'b', 'c', 'a'], 'a reader hears which stream has news');
  });

  it('keeps the newest events of a session across its streams; a dropped event names no stream', async () => {
    const store = new MemorySessionStore(10);
    await store.create({ id: 's', principal: LOCAL_PRINCIPAL, init: INIT, lastSeen: Date.now() });
    const all: Array<{ id: string; stream: string }> = [];
    for (let i = 0; i < 57; i++) {
      const stream = i % 5 === 0 ? 'rare' : 'busy';
      all.push({ id: await store.appendEvent('s', stream, note(i)), stream });
    }
    const kept = all.slice(-10);
    for (const stream of ['rare', 'busy']) {
      assert.deepEqual((await store.eventsAfter('s', stream, null, 100)).map((e) => e.id), kept.filter((e) => e.stream === stream).map((e) => e.id), stream);
    }
    assert.equal(await store.streamOf('s', all[0]!.id), null, 'the oldest went');
    assert.equal(await store.streamOf('s', kept[0]!.id), kept[0]!.stream);
    assert.equal(await store.lastEventId('s'), all.at(-1)!.id);
    assert.equal(await store.end('s'), true);
    assert.deepEqual(await store.eventsAfter('s', 'busy', null, 100), [], 'an ended session keeps nothing');
    assert.equal(await store.lastEventId('s'), null);
  });
});
