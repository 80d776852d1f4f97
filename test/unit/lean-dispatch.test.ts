import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolResultSchema, ErrorCode, McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { dispatchByKind, setCallToolHandler } from '../../src/mcp/lean-dispatch.js';

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

describe('lean dispatch: a plain tools/call answered without the SDK request path', () => {
  async function connected(): Promise<{ client: Client; seen: string[]; close(): Promise<void> }> {
    const seen: string[] = [];
    const server = new Server({ name: 't', version: '1' }, { capabilities: { tools: {} } });
    setCallToolHandler(server, async (req, extra) => {
      const { name } = req.params;
      seen.push(`${name} id=${String(extra.requestId)} token=${String(extra._meta?.progressToken)}`);
      if (name === 'fail') throw new McpError(ErrorCode.InvalidParams, 'bad field', { field: 'x' });
      if (name === 'slow') {
        await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve(), { once: true }));
        seen.push(`slow aborted: ${String(extra.signal.reason)}`);
        return { content: [{ type: 'text', text: 'too late' }] };
      }
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra._meta!.progressToken!, progress: 1, message: 'half' } });
      return { content: [{ type: 'text', text: 'done' }], structuredContent: { ok: true } };
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    serverSide.onmessage = dispatchByKind(server, serverSide.onmessage!);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(clientSide);
    return { client, seen, close: async () => void (await client.close(), await server.close()) };
  }

  it('answers, reports progress, and sends errors in the SDK shape', async () => {
    const { client, seen, close } = await connected();
    try {
      const progress: string[] = [];
      const ok = await client.callTool({ name: 'ok', arguments: { a: 1 } }, CallToolResultSchema, { onprogress: (p) => void progress.push(String(p.message)) });
      assert.deepEqual(ok.structuredContent, { ok: true });
      assert.deepEqual(progress, ['half']);
      await assert.rejects(client.callTool({ name: 'fail' }), (e: McpError) => e.code === ErrorCode.InvalidParams && /bad field/.test(e.message) && (e.data as { field: string }).field === 'x');
      // Arguments that are not an object go the SDK's way: its zod parse refuses them.
      await assert.rejects(client.request({ method: 'tools/call', params: { name: 'ok', arguments: [1] } } as never, CallToolResultSchema), (e: McpError) => /expected record/.test(e.message));
      assert.match(seen[0]!, /^ok id=\d+ token=\d+$/);
      assert.equal(seen.length, 2, 'the refused call never reached the handler');
    } finally {
      await close();
    }
  });

  it('notifications/cancelled aborts the call\'s signal, and the cancelled call gets no answer', async () => {
    const { client, seen, close } = await connected();
    try {
      const stop = new AbortController();
      const call = client.callTool({ name: 'slow' }, CallToolResultSchema, { signal: stop.signal });
      await new Promise((r) => setTimeout(r, 20));
      stop.abort('enough');
      await assert.rejects(call);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen.slice(1), ['slow aborted: enough']);
    } finally {
      await close();
    }
  });
});
