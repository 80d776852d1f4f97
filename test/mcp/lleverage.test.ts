import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { FakeLleverage } from '../fakes/lleverage/server.js';
import { envelope, startHarness, tempDir, text, until, type Harness } from '../helpers/harness.js';

let fake: FakeLleverage;
let h: Harness | undefined;
const TOKEN = 'llv-secret-token-0123456789';
before(async () => {
  fake = await new FakeLleverage().start();
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.endpoints.clear();
  fake.received.length = 0;
  fake.failures.length = 0;
  fake.endpoints.set('/summarize', { token: TOKEN, required: ['note', 'count'], fields: ['note', 'count', 'urgent'] });
  fake.endpoints.set('/extract', { token: TOKEN, required: ['document', 'lang'], fields: ['document', 'lang', 'pages', 'appendix'], maxBytes: 200_000 });
  fake.endpoints.set('/slow', { required: [], fields: [], delayMs: 3000, text: true });
  fake.endpoints.set('/tag', { required: ['text'], fields: ['text'] });
});
afterEach(async () => {
  assert.deepEqual(fake.unexpected, []);
  await h?.close();
  h = undefined;
});

function setup(roots: string[] = []): Record<string, unknown> {
  return {
    providers: { lleverage: { endpoints: [
      { name: 'Summarize Note', url: `${fake.url}/summarize`, token: TOKEN, fields: { note: 'text', count: 'number', urgent: { type: 'boolean', required: false } } },
      { name: 'Extract Invoice', url: `${fake.url}/extract`, token: TOKEN, fields: { document: 'file', lang: 'text', pages: { type: 'number', required: false }, appendix: { type: 'file', required: false } } },
      { name: 'Slow', url: `${fake.url}/slow`, fields: {} },
      { name: 'Tag', url: `${fake.url}/tag`, fields: { text: 'text' }, idempotent: true },
      { name: 'Tag Once', url: `${fake.url}/tag`, fields: { text: 'text' } },
    ] } },
    files: { roots, maxBytes: 100_000 },
  };
}

describe('lleverage through MCP', () => {
  it('lists each endpoint as a tool with a schema from its fields; a JSON call returns the response', async () => {
    h = await startHarness({ configFile: setup() });
    const tool = (await h.client.listTools()).tools.find((t) => t.name === 'lleverage_summarize_note')!;
    assert.deepEqual(tool.inputSchema.required, ['note', 'count']);
    const r = await h.call('lleverage_summarize_note', { note: 'hello', count: 2 });
    assert.deepEqual(envelope(r)['output'], { received: { note: 'hello', count: 2, urgent: null } }, 'the omitted optional field goes out as null');
    assert.equal(fake.requests.length, 1);
    assert.ok(!JSON.stringify(r).includes(TOKEN) && !h.logs.join('').includes(TOKEN), 'the token appears nowhere');
  });

  it('uploads a file inside the allowed roots as multipart, bytes intact; refuses one outside before any upload', async () => {
    const root = tempDir();
    const outside = tempDir();
    const bytes = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
    writeFileSync(join(root, 'invoice.pdf'), bytes);
    writeFileSync(join(outside, 'secret.pdf'), 'nope');
    mkdirSync(join(root, 'sub'));
    h = await startHarness({ configFile: setup([root]) });
    const r = await h.call('lleverage_extract_invoice', { document: join(root, 'invoice.pdf'), lang: 'en' });
    const got = (envelope(r)['output'] as { received: { document: { filename: string; size: number; sha256: string } } }).received.document;
    assert.deepEqual(got, { filename: 'invoice.pdf', size: 50_000, sha256: createHash('sha256').update(bytes).digest('hex') });
    const relative = await h.call('lleverage_extract_invoice', { document: 'invoice.pdf', lang: 'en' });
    assert.equal(envelope(relative)['status'], 'completed', 'a relative path is taken from the first root');
    for (const path of [join(outside, 'secret.pdf'), join(root, '..', outside.split('/').pop()!, 'secret.pdf'), join(root, 'sub')]) {
      const refused = await h.call('lleverage_extract_invoice', { document: path, lang: 'en' });
      assert.equal(refused.isError, true);
      assert.match(text(refused), /document: .*(outside the folders|not a file)/);
    }
    assert.equal(fake.requests.length, 2, 'nothing was uploaded for the refused files');
  });

  it("uses the MCP client's roots, when it offers them, as the folders files may come from", async () => {
    const shared = tempDir();
    const configured = tempDir();
    writeFileSync(join(shared, 'a.txt'), 'shared by the client');
    writeFileSync(join(configured, 'b.txt'), 'only in files.roots');
    h = await startHarness({ configFile: setup([configured]) });
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { ListRootsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const { pathToFileURL } = await import('node:url');
    const { createMcpServer } = await import('../../src/mcp/server.js');
    const conn = createMcpServer(h.app.deps);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await conn.connect(a);
    const client = new Client({ name: 'with-roots', version: '1' }, { capabilities: { roots: {} } });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: pathToFileURL(shared).href, name: 'project' }] }));
    await client.connect(b);
    const ok = (await client.callTool({ name: 'lleverage_extract_invoice', arguments: { document: join(shared, 'a.txt'), lang: 'en' } })) as Parameters<typeof envelope>[0];
    assert.equal(envelope(ok)['status'], 'completed');
    const refused = (await client.callTool({ name: 'lleverage_extract_invoice', arguments: { document: join(configured, 'b.txt'), lang: 'en' } })) as Parameters<typeof text>[0];
    assert.match(text(refused), /outside the folders/);
    await client.close();
    await conn.close();
  });

  it('accepts data: URLs and { base64, filename }; checks the size before upload; maps 400 and 413', async () => {
    h = await startHarness({ configFile: setup() });
    const data = await h.call('lleverage_extract_invoice', { document: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}`, lang: 'en' });
    assert.equal((envelope(data)['output'] as { received: { document: { size: number } } }).received.document.size, 5);
    const b64 = await h.call('lleverage_extract_invoice', { document: { base64: Buffer.from('abc').toString('base64'), filename: '../../x.txt' }, lang: 'nl' });
    assert.equal((envelope(b64)['output'] as { received: { document: { filename: string } } }).received.document.filename, 'x.txt');
    const big = await h.call('lleverage_extract_invoice', { document: { base64: Buffer.alloc(150_000).toString('base64'), filename: 'big.bin' }, lang: 'en' });
    assert.match(text(big), /over the 100000-byte limit/);
    assert.equal(fake.requests.length, 2);
    fake.endpoints.get('/extract')!.maxBytes = 1000;
    const tooLarge = await h.call('lleverage_extract_invoice', { document: { base64: Buffer.alloc(5000).toString('base64'), filename: 'mid.bin' }, lang: 'en' });
    assert.equal(envelope(tooLarge)['status'], 'failed');
    assert.match(envelope(tooLarge)['error'] as string, /too large \(413\)/);
    fake.endpoints.get('/summarize')!.required.push('tone');
    const missing = await h.call('lleverage_summarize_note', { note: 'x', count: 1 });
    assert.match(envelope(missing)['error'] as string, /400.*Missing required field: tone/);
  });

  it('sends every configured field: an omitted optional one arrives empty (null in JSON, "" in multipart)', async () => {
    h = await startHarness({ configFile: setup() });
    const json = await h.call('lleverage_summarize_note', { note: 'n', count: 1 });
    assert.equal(envelope(json)['status'], 'completed');
    assert.deepEqual(fake.received.at(-1), { path: '/summarize', multipart: false, fields: { note: 'n', count: 1, urgent: null } });
    const multi = await h.call('lleverage_extract_invoice', { document: { base64: Buffer.from('pdf').toString('base64'), filename: 'a.pdf' }, lang: 'en' });
    assert.equal(envelope(multi)['status'], 'completed');
    const got = fake.received.at(-1)!;
    assert.equal(got.multipart, true);
    assert.equal(got.fields['pages'], '', 'an omitted optional number is an empty text part');
    assert.equal(got.fields['appendix'], '', 'an omitted optional file is an empty text part');
    assert.equal(got.fields['lang'], 'en');
    // The run keeps each given file as a name only, never its content; fields as given.
    const kept = JSON.parse(((await h.client.readResource({ uri: envelope(multi)['run_uri'] as string })).contents[0] as { text: string }).text);
    assert.deepEqual(kept.input, { document: '(file content)', lang: 'en' });
    const dataUrl = await h.call('lleverage_extract_invoice', { document: `data:text/plain;base64,${Buffer.from('secret').toString('base64')}`, lang: 'nl', pages: 2 });
    const keptData = JSON.parse(((await h.client.readResource({ uri: envelope(dataUrl)['run_uri'] as string })).contents[0] as { text: string }).text);
    assert.deepEqual(keptData.input, { document: '(file content)', lang: 'nl', pages: 2 });
    // The fake is as strict as the document: leaving a configured field out entirely is a 400.
    fake.endpoints.get('/summarize')!.fields!.push('tone');
    const absent = await h.call('lleverage_summarize_note', { note: 'x', count: 1 });
    assert.match(envelope(absent)['error'] as string, /400.*Missing field: tone/);
  });

  it('retries a start after a 5xx or a reset only for an endpoint marked idempotent', async () => {
    h = await startHarness({ configFile: setup() });
    fake.failures.push({ status: 503 }, 'reset');
    const retried = await h.call('lleverage_tag', { text: 'a' });
    assert.equal(envelope(retried)['status'], 'completed');
    assert.equal(fake.requests.length, 3, 'two failures, then the call that answered');
    fake.requests.length = 0;
    fake.failures.push({ status: 503 });
    const once = await h.call('lleverage_tag_once', { text: 'b' });
    assert.equal(envelope(once)['status'], 'failed');
    assert.equal(fake.requests.length, 1, 'not idempotent: never sent twice');
    fake.failures.push('reset');
    const lost = await h.call('lleverage_tag_once', { text: 'c' });
    assert.match(envelope(lost)['error'] as string, /may or may not have started/);
    assert.equal(fake.requests.length, 2);
  });

  it('sends progress while waiting on a slow call; cancel aborts the request; text answers stay text', async () => {
    h = await startHarness({ configFile: setup(), flags: { waitSeconds: 0 } });
    const e = envelope(await h.call('lleverage_slow', {}));
    assert.equal(e['status'], 'running');
    const c = await h.call('cancel_run', { provider: 'lleverage', run_id: e['run_id'] as string });
    assert.equal(envelope(c)['status'], 'cancelled');
    await h.close();
    h = await startHarness({ configFile: setup() });
    const r = await h.call('lleverage_slow', {}, { onprogress: () => {} });
    assert.equal(envelope(r)['output'], 'ok ');
    await until(() => true);
  });
});
