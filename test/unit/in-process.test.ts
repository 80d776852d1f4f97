import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessRuns } from '../../src/providers/in-process.js';
import type { Run, RunUpdate } from '../../src/providers/types.js';

const AT = '2026-01-01T00:00:00.000Z';
const run = (id: string): Run => ({ provider: 'local', workflowId: 'w', version: '1', runId: id, status: 'running', input: { big: 'x'.repeat(1000) }, output: null, error: null, createdAt: AT, startedAt: AT, endedAt: null });

describe('in-process runs', () => {
  it('an observer hears the end; a late one gets the outcome, and only the outcome is kept', async () => {
    const runs = new InProcessRuns();
    const entry = runs.add(run('a'));
    const heard: RunUpdate[] = [];
    const watching = runs.observe('a', (u) => heard.push(u), new AbortController().signal, () => AT);
    runs.finish(entry, { status: 'completed', output: { ok: 1 }, error: null }, AT);
    await watching;
    assert.deepEqual(heard.map((u) => u.status), ['completed']);
    assert.equal(runs.get('a'), undefined, 'the run itself (input, signal, listeners) is let go at its end');
    assert.equal(runs.abort('a'), false);
    const late: RunUpdate[] = [];
    await runs.observe('a', (u) => late.push(u), new AbortController().signal, () => AT);
    assert.deepEqual(late, [{ status: 'completed', output: { ok: 1 }, error: null, endedAt: AT }]);
    runs.finish(entry, { status: 'failed', error: 'again' }, AT); // ignored: it ended once
    const unknown: RunUpdate[] = [];
    await runs.observe('nope', (u) => unknown.push(u), new AbortController().signal, () => AT);
    assert.equal(unknown[0]?.status, 'failed');
    assert.match(String(unknown[0]?.error), /server stopped/);
    const again: RunUpdate[] = [];
    await runs.observe('a', (u) => again.push(u), new AbortController().signal, () => AT);
    assert.equal(again[0]?.status, 'completed');
  });
});
