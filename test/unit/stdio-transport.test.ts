import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
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

describe('stdio transport: answers of one turn leave together', () => {
  it('writes the lines sent in one turn with one write, in order, and each later turn again', async () => {
    const writes: string[][] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        writes.push([chunk.toString()]);
        done();
      },
      writev(chunks, done) {
        writes.push(chunks.map((c) => String(c.chunk)));
        done();
      },
    });
    const t = new StdioLineTransport(new PassThrough(), out);
    await t.start();
    await Promise.all([1, 2, 3].map((id) => t.send({ jsonrpc: '2.0', id, result: {} })));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(writes, [[1, 2, 3].map((id) => `{"jsonrpc":"2.0","id":${id},"result":{}}\n`)]);
    await t.send({ jsonrpc: '2.0', id: 4, result: {} });
    await t.close(); // closing lets what was written this turn out at once
    assert.deepEqual(writes.slice(1), [['{"jsonrpc":"2.0","id":4,"result":{}}\n']]);
  });
});
