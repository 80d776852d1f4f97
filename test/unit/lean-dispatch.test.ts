import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { dispatchByKind } from '../../src/mcp/lean-dispatch.js';

describe('lean dispatch: messages reach the Protocol by their keys', () => {
  it('requests, notifications and answers go straight to their handler; anything unsettled goes the SDK way', () => {
    const seen: string[] = [];
    const fakeServer = {
      _onrequest: (m: { id: unknown }) => seen.push(`request ${String(m.id)}`),
      _onnotification: (m: { method: string }) => seen.push(`notification ${m.method}`),
      _onresponse: (m: { id: unknown }) => seen.push(`response ${String(m.id)}`),
    } as unknown as Server;
    const dispatch = dispatchByKind(fakeServer, (m) => seen.push(`sdk ${JSON.stringify(m)}`));
    const messages: unknown[] = [
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } },
      { jsonrpc: '2.0', id: 'a', method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      { jsonrpc: '2.0', id: 7, result: {} },
      { jsonrpc: '2.0', id: 8, error: { code: -1, message: 'no' } },
      { jsonrpc: '2.0', error: { code: -32700, message: 'parse error' } }, // no id: the SDK decides
      { jsonrpc: '2.0', id: 9, method: 'x', result: {} }, // both: the SDK decides
    ];
    for (const m of messages) dispatch(m as JSONRPCMessage);
    assert.deepEqual(seen, [
      'request 1', 'request a', 'notification notifications/cancelled', 'response 7', 'response 8',
      'sdk {"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"}}',
      'sdk {"jsonrpc":"2.0","id":9,"method":"x","result":{}}',
    ]);
  });
});
