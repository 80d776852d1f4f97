import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isPlainMessage, StdioLineTransport } from '../../src/serve/stdio-transport.js';

const plain: unknown[] = [
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { a: 1 } } },
  { jsonrpc: '2.0', id: 'a-1', method: 'tools/list' },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } },
  { jsonrpc: '2.0', id: 7, result: { roots: [] } },
  { jsonrpc: '2.0', id: 0, result: {} },
];
const other: unknown[] = [
  // valid, but left to the schema (it checks `_meta` and errors itself)
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', _meta: { progressToken: 5 } } },
  { jsonrpc: '2.0', id: 2, error: { code: -32600, message: 'no' } },
  { jsonrpc: '2.0', id: 7, result: { _meta: {} } },
  // invalid
  { jsonrpc: '1.0', id: 1, method: 'x' },
  { id: 1, method: 'x' },
  { jsonrpc: '2.0', id: 1.5, method: 'x' },
  { jsonrpc: '2.0', id: null, method: 'x' },
  { jsonrpc: '2.0', id: {}, method: 'x' },
  { jsonrpc: '2.0', id: 1, method: 'x', extra: true },
  { jsonrpc: '2.0', id: 1, method: 'x', params: [1] },
  { jsonrpc: '2.0', id: 1, method: 'x', params: null },
  { jsonrpc: '2.0', id: 1, method: 3 },
  { jsonrpc: '2.0', result: {} },
  { jsonrpc: '2.0', id: 1, result: [] },
  { jsonrpc: '2.0', id: 1, method: 'x', result: {} },
  { jsonrpc: '2.0' },
  [],
  null,
  'x',
];

describe('stdio transport: messages checked without zod', () => {
  it('accepts the everyday messages exactly as JSONRPCMessageSchema does, and leaves everything else to it', () => {
    for (const m of plain) {
      assert.equal(isPlainMessage(m), true, JSON.stringify(m));
      const parsed = JSONRPCMessageSchema.safeParse(m);
      assert.ok(parsed.success, JSON.stringify(m));
      assert.deepEqual(parsed.data, m, 'the schema would not have changed it');
    }
    for (const m of other) assert.equal(isPlainMessage(m), false, JSON.stringify(m));
    // Of those, the schema itself turns down exactly the invalid ones.
    assert.deepEqual(other.map((m) => JSONRPCMessageSchema.safeParse(m).success), [true, true, true, ...Array(other.length - 3).fill(false)]);
  });
});

/** A stdout that records each write (a writev is one write of several chunks). */
function recordingStdout(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map((c) => String(c.chunk)).join(''));
      done();
    },
  });
  return { out, writes };
}

describe('stdio transport: writes', () => {
  const answer = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: {} });
  const line = (m: JSONRPCMessage): string => `${JSON.stringify(m)}\n`;
  const progress = (token: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1 } });

  it('a progress notification and the answer sent in the same turn leave in separate writes, in order', async () => {
    // An SDK client drops a progress notification it reads in the same chunk as its call's answer.
    const { out, writes } = recordingStdout();
    const t = new StdioLineTransport(new PassThrough(), out);
    await t.start();
    await Promise.all([t.send(progress(1)), t.send(answer(1))]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(writes, [line(progress(1)), line(answer(1))]);
    await t.close();
  });

  it('answers sent by promise jobs of one turn leave in one write, in that turn, however deep their chains', async () => {
    const { out, writes } = recordingStdout();
    const t = new StdioLineTransport(new PassThrough(), out);
    await t.start();
    const later = async (id: number, depth: number): Promise<void> => {
      for (let i = 0; i < depth; i++) await Promise.resolve();
      await t.send(answer(id));
    };
    let wroteInTurn: string[] = [];
    await new Promise<void>((resolve) => setImmediate(() => {
      void Promise.all([later(1, 0), later(2, 5), later(3, 20)]);
      setImmediate(() => ((wroteInTurn = [...writes]), resolve()));
    }));
    assert.deepEqual(wroteInTurn, [line(answer(1)) + line(answer(2)) + line(answer(3))], 'one write, before the next turn');
    await t.close();
  });

  it("a turn's answers leave in one write; a notification goes alone, after the answers sent before it", async () => {
    const { out, writes } = recordingStdout();
    const t = new StdioLineTransport(new PassThrough(), out);
    await t.start();
    const sent = [t.send(answer(1)), t.send(progress(2)), t.send(answer(2)), t.send(answer(3))];
    assert.deepEqual(writes, [line(answer(1)), line(progress(2))], 'the notification flushed the answer queued before it');
    await Promise.all(sent);
    assert.deepEqual(writes, [line(answer(1)), line(progress(2)), line(answer(2)) + line(answer(3))]);
    void t.send(answer(4));
    await t.close();
    assert.equal(writes.at(-1), line(answer(4)), 'an answer still queued is written on close');
  });
});
