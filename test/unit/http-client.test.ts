import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent } from 'undici';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { LocalAbortController } from '../../src/core/abort.js';
import { HttpClient } from '../../src/http/client.js';
import { ProviderError } from '../../src/http/errors.js';
import { backoffMs, retryAfterMs } from '../../src/http/retry.js';

type Step = (req: IncomingMessage, res: ServerResponse) => void;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Step => (_q, res) => void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
const reset: Step = (req) => req.socket.destroy();
const silent: Step = () => {};

let steps: Step[] = [];
let seen: Array<{ method: string; url: string; key: string | undefined }> = [];
let base = '';
const server = createServer((req, res) => {
  seen.push({ method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string | undefined });
  req.resume();
  req.on('end', () => (steps.shift() ?? json(500, { message: 'unexpected request' }))(req, res));
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`;
});
after(() => server.close());

const Ok = z.object({ ok: z.boolean() });
function client(over: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const waits: number[] = [];
  const c = new HttpClient({ provider: 'looply', baseUrl: base, headers: { 'x-api-key': 'secret-key-123' }, sleep: async (ms) => void waits.push(ms), timeoutMs: 5000, ...over });
  return { c, waits };
}
/** For the steps that never answer: a short timeout, so the test does not wait for the default. */
const impatient = { timeoutMs: 300 };
function setup(...s: Step[]): void {
  steps = s;
  seen = [];
}
async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err));
    return err;
  }
  throw new Error('expected a failure');
}

describe('http pipeline', () => {
  it('sends the base URL, query and auth header; parses the body with its schema', async () => {
    setup(json(200, { ok: true }));
    const { c } = client();
    assert.deepEqual(await c.request({ method: 'GET', path: '/getWorkflowById', query: { workflow_id: 'w 1', workflow_version: 2, skip: undefined }, schema: Ok, kind: 'read', what: 'read a workflow' }), { ok: true });
    assert.deepEqual(seen, [{ method: 'GET', url: '/v2/getWorkflowById?workflow_id=w+1&workflow_version=2', key: 'secret-key-123' }]);
  });

  it('retries reads on 5xx with backoff, and honours Retry-After on 429', async () => {
    setup(json(500, {}), json(503, {}), json(200, { ok: true }));
    const { c, waits } = client();
    await c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'read' });
    assert.equal(seen.length, 3);
    assert.equal(waits.length, 2);
    setup(json(429, { message: 'slow down' }, { 'retry-after': '2' }), json(200, { ok: true }));
    const second = client();
    await second.c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'read' });
    assert.deepEqual(second.waits, [2000]);
  });

  it('gives up at once when Retry-After is longer than it will wait, and after maxRetries', async () => {
    setup(json(429, { message: 'quota' }, { 'retry-after': '600' }));
    const e = await failure(client().c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'list workflows' }));
    assert.equal(e.code, 'rate_limited');
    assert.equal(seen.length, 1);
    setup(json(500, {}), json(500, {}), json(500, {}), json(500, {}));
    assert.equal((await failure(client({ maxRetries: 2 }).c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'read' }))).code, 'upstream');
    assert.equal(seen.length, 3);
  });

  it('never sends a run-starting request twice once it may have arrived', async () => {
    setup(json(500, { message: 'something went wrong' }));
    const failed = await failure(client().c.request({ method: 'POST', path: 'trigger', json: {}, schema: Ok, kind: 'start', what: 'trigger a run' }));
    assert.equal(failed.code, 'outcome_unknown', 'a 5xx to a start may hide a run that began');
    assert.match(failed.message, /answered trigger a run with 500.*may or may not have started/);
    assert.equal(seen.length, 1);
    setup(reset);
    const lost = await failure(client().c.request({ method: 'POST', path: 'trigger', json: {}, schema: Ok, kind: 'start', what: 'trigger a run' }));
    assert.equal(lost.code, 'outcome_unknown');
    assert.match(lost.message, /may or may not have started.*list_runs/);
    assert.equal(seen.length, 1);
    setup(silent);
    assert.equal((await failure(client(impatient).c.request({ method: 'POST', path: 'trigger', json: {}, schema: Ok, kind: 'start', what: 'trigger a run' }))).code, 'outcome_unknown');
    assert.equal(seen.length, 1);
    setup(json(429, {}, { 'retry-after': '1' }), json(200, { ok: true }));
    await client().c.request({ method: 'POST', path: 'trigger', json: {}, schema: Ok, kind: 'start', what: 'trigger a run' });
    assert.equal(seen.length, 2, 'a 429 turned the request away: sending it again is safe');
  });

  it('retries a start whose connection was refused (it never arrived)', async () => {
    const { c, waits } = client({ baseUrl: 'http://127.0.0.1:1/v2', maxRetries: 2 });
    const e = await failure(c.request({ method: 'POST', path: 'trigger', json: {}, schema: Ok, kind: 'start', what: 'trigger a run' }));
    assert.equal(e.code, 'connection');
    assert.equal(waits.length, 2);
  });

  it('maps statuses to codes with the platform message, and flags junk or mis-shaped bodies', async () => {
    setup(json(403, { message: 'Forbidden' }));
    const e = await failure(client({ maxRetries: 0 }).c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'list workflows' }));
    assert.equal(e.code, 'forbidden');
    assert.equal(e.status, 403);
    assert.match(e.message, /^looply answered 403 to list workflows: Forbidden\. Check the API key/);
    setup((_q, res) => void res.writeHead(200).end('<html>oops'));
    assert.equal((await failure(client({ maxRetries: 0 }).c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'read' }))).code, 'bad_response');
    setup(json(200, { ok: 'yes' }));
    const shape = await failure(client({ maxRetries: 0 }).c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'read' }));
    assert.equal(shape.code, 'bad_response');
    assert.match(shape.message, /ok: /);
    assert.ok(!JSON.stringify(shape).includes('secret-key-123') && !shape.message.includes('secret-key-123'));
  });

  it('a slow answer says what happened: timed out after N s while reading it (not "cannot reach looply (23)")', async () => {
    const stalls: Step = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"ok":');
      setTimeout(() => res.destroy(), 1500).unref();
    };
    setup(stalls);
    const { c } = client({ maxRetries: 0, ...impatient });
    const slow = await failure(c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'list workflows' }));
    assert.equal(slow.code, 'timeout');
    assert.match(slow.message, /^list workflows: looply answered, but the answer did not finish arriving: timed out after 0\.3 s while reading it\./);
    assert.doesNotMatch(slow.message, /cannot reach|\(23\)/);
    setup(stalls);
    const start = await failure(c.request({ method: 'POST', path: 'x', json: {}, schema: Ok, kind: 'start', what: 'trigger wf' }));
    assert.equal(start.code, 'outcome_unknown');
    assert.match(start.message, /timed out after 0\.3 s while reading the answer after it may have reached looply/);
    setup(silent);
    const none = await failure(c.request({ method: 'GET', path: 'x', schema: Ok, kind: 'read', what: 'list workflows' }));
    assert.match(none.message, /^list workflows: no answer from looply within 0\.3 s\./);
  });

  it('a request still waiting for a connection is aborted there and never sent; an answer with a BOM is read as JSON', async () => {
    const one = new Agent({ connections: 1 });
    try {
      const held: Step = (_q, res) => void setTimeout(() => json(200, { ok: true })(_q, res), 300).unref();
      setup(held, json(200, { ok: false }));
      const { c } = client({ dispatcher: one, maxRetries: 0 });
      const first = c.request({ method: 'GET', path: 'a', schema: Ok, kind: 'read', what: 'read a' });
      const cancel = new AbortController();
      const second = failure(c.request({ method: 'POST', path: 'b', json: {}, schema: Ok, kind: 'start', what: 'trigger b', signal: cancel.signal }));
      await new Promise((r) => setTimeout(r, 50));
      cancel.abort();
      assert.equal((await second).code, 'aborted');
      assert.deepEqual(await first, { ok: true });
      assert.deepEqual(seen.map((r) => r.url), ['/v2/a'], 'the aborted start never reached the platform');
      setup((_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"ok":true}')])));
      assert.deepEqual(await c.request({ method: 'GET', path: 'c', schema: Ok, kind: 'read', what: 'read c' }), { ok: true });
    } finally {
      await one.close();
    }
  });

  it('a request in flight stops when the LocalAbortController that runs and polls carry aborts', async () => {
    setup(silent);
    const { c } = client({ maxRetries: 0 });
    const stop = new LocalAbortController();
    const pending = failure(c.request({ method: 'GET', path: 'slow', schema: Ok, kind: 'read', what: 'read slow', signal: stop.signal }));
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    assert.equal((await pending).code, 'aborted');
  });

  it('reads Retry-After as seconds or a date; backs off exponentially within a cap', () => {
    assert.equal(retryAfterMs('3', 0), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs('soon', 0), null);
    assert.equal(backoffMs(1, 500, 8000, () => 1), 500);
    assert.equal(backoffMs(3, 500, 8000, () => 1), 2000);
    assert.equal(backoffMs(10, 500, 8000, () => 1), 8000);
    assert.equal(backoffMs(10, 500, 8000, () => 0), 4000);
  });
});
