import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { SessionEventStore } from '../../src/serve/event-store.js';
import type { SessionStore } from '../../src/serve/session-store.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
const note = (message: string): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1, message } });

/** A shared store whose appends answer in the order the test releases them, as a pool of connections may. */
function slowStore() {
  const pending: Array<{ stream: string; message: string; answer: (id: string) => void }> = [];
  let seq = 0;
  const appended: string[] = [];
  const store = {
    appendEvent: (_session: string, stream: string, m: JSONRPCMessage) => new Promise<string>((resolve) => {
      const message = (m as unknown as { params: { message: string } }).params.message;
      pending.push({ stream, message, answer: (id) => (appended.push(`${stream}:${message}`), resolve(id)) });
    }),
  } as unknown as SessionStore;
  return { store, pending, appended, answerLast: () => pending.splice(-1, 1)[0]!.answer(String(++seq)), answerFirst: () => pending.shift()!.answer(String(++seq)) };
}

describe('SSE event store', () => {
  it("keeps a stream's events in the order they were sent even when the store answers out of order; streams do not wait for each other", async () => {
    const s = slowStore();
    const events = new SessionEventStore(s.store, 'session', log);
    const written: string[] = [];
    const send = (stream: string, message: string) => events.storeEvent(stream, note(message)).then((id) => void written.push(`${stream}:${message}#${id}`));
    const sent = [send('a', 'running'), send('a', 'completed'), send('b', 'other')];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.pending.map((p) => `${p.stream}:${p.message}`), ['a:running', 'b:other'], "a's second event waits for its first; b does not");
    s.answerLast(); // b first
    s.answerFirst(); // then a's first
    await new Promise((r) => setImmediate(r));
    s.answerFirst(); // a's second, only now asked for
    await Promise.all(sent);
    assert.deepEqual(written, ['b:other#1', 'a:running#2', 'a:completed#3']);
    assert.deepEqual(s.appended, ['b:other', 'a:running', 'a:completed'], 'stored in that order too');
  });
});
