import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { serveHttp, type HttpHandle } from '../../src/serve/http.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const STEPS = `export default { name: 'Two Steps', input: { type: 'object', properties: { n: { type: 'integer' } } },
  async run(input, ctx) { ctx.progress('first', 0.5); await new Promise((r) => setTimeout(r, 50)); return { n: input.n ?? 0 }; } };`;
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

/** Counts the POSTs the SDK transport's own handleRequest served. */
const sdk = WebStandardStreamableHTTPServerTransport.prototype;
const original = sdk.handleRequest;
let sdkServed = 0;

/** A response as the client sees it: status, the headers that matter, the SSE events with run ids, times and event ids made comparable. */
async function seen(res: Response): Promise<{ status: number; headers: Record<string, string | null>; events: string[] }> {
  const text = await res.text();
  const headers = Object.fromEntries(['content-type', 'cache-control', 'connection', 'x-accel-buffering', 'mcp-session-id'].map((h) => [h, res.headers.get(h)]));
  const events = text.split('\n\n').filter(Boolean).map((e) => e
    .replace(/^id: \S+$/gm, 'id: <id>')
    .replace(/lr_[0-9a-z]+/g, '<run>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
    .replace(/"progress":[\d.]+/g, '"progress":<n>')
    .replace(/ · \d+s/g, ' · <s>'));
  return { status: res.status, headers, events };
}

describe('a plain POST over HTTP is served without the web Response', () => {
  let h: Harness;
  let http: HttpHandle;
  let headers: Record<string, string>;
  before(async () => {
    sdk.handleRequest = function (this: WebStandardStreamableHTTPServerTransport, ...args: Parameters<typeof original>) {
      sdkServed++;
      return original.apply(this, args);
    };
    h = await startHarness({ files: { 'steps.workflow.mjs': STEPS }, flags: { httpPort: 0 } });
    http = await serveHttp(h.app);
    const init = await fetch(http.url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
    await init.text();
    headers = { ...HEADERS, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
    await (await fetch(http.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  });
  after(async () => {
    sdk.handleRequest = original;
    await http.close();
    await h.close();
  });
  const call = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'local_two_steps', arguments: { n: id }, _meta: { progressToken: `p${id}` } } });

  it('writes what the SDK transport writes — headers, priming event, progress, answer — without it', async () => {
    const before = sdkServed;
    const lean = await seen(await fetch(http.url, { method: 'POST', headers, body: call(2) }));
    assert.equal(sdkServed, before, 'the SDK transport did not serve it');
    // A content type the lean path leaves to the SDK's own media-type parse: the same call, the SDK's way.
    const viaSdk = await seen(await fetch(http.url, { method: 'POST', headers: { ...headers, 'content-type': 'Application/JSON' }, body: call(2) }));
    assert.equal(sdkServed, before + 1, 'the SDK transport served the second');
    assert.deepEqual(lean, viaSdk);
    assert.equal(lean.events.length, 4, JSON.stringify(lean.events));
    assert.match(lean.events[0]!, /^id: <id>\nretry: 2000\ndata: $/, 'the priming event');
    assert.match(lean.events.at(-1)!, /"id":2\}$/);
    assert.match(lean.events.at(-1)!, /"status":"completed"/);
  });

  it('a request the SDK would refuse still gets its answer: an unknown key is a parse error, another session is not found', async () => {
    const before = sdkServed;
    const extra = await fetch(http.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', extra: 1 }) });
    assert.equal(extra.status, 400);
    assert.match(await extra.text(), /Parse error/);
    const stranger = await fetch(http.url, { method: 'POST', headers: { ...headers, 'mcp-protocol-version': '1999-01-01' }, body: call(4) });
    assert.equal(stranger.status, 400);
    assert.match(await stranger.text(), /Unsupported protocol version/);
    assert.equal(sdkServed, before + 2);
  });

  it('a client that leaves mid-call releases its stream; the next call on the session is answered', async () => {
    const controller = new AbortController();
    const res = await fetch(http.url, { method: 'POST', headers, body: call(5), signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read(); // the priming event: the stream is open
    controller.abort();
    await new Promise((r) => setTimeout(r, 100));
    const next = await seen(await fetch(http.url, { method: 'POST', headers, body: call(6) }));
    assert.match(next.events.at(-1)!, /"n":6/);
  });
});
