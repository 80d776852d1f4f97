import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { WorkflowError } from '../../src/core/errors.js';
import { Redactor } from '../../src/core/redact.js';
import type { Provider, Run } from '../../src/providers/types.js';
import { SqliteRunStore } from '../../src/runs/journal-sqlite.js';
import { RunTracker } from '../../src/runs/tracker.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
const wf = { provider: 'fake', id: 'w', name: 'W', latest: '1', versions: [{ key: '1', inputSchema: {} }] };
const runOf = (id: string): Run => ({ provider: 'fake', workflowId: 'w', version: '1', runId: id, status: 'running', input: { same: true }, output: null, error: null, createdAt: new Date().toISOString(), startedAt: null, endedAt: null });

/** Every start loses its answer; the platform lists the runs in `listed`. */
function losingProvider(listed: Run[], error: Error = new WorkflowError('outcome_unknown', 'The answer was lost: the run may or may not have started.')) {
  const looks: string[] = [];
  const provider: Provider = {
    name: 'fake', runsOutliveProcess: true,
    capabilities: { listWorkflows: true, versions: true, schema: true, cancel: true, history: false, stream: false, resume: false, replay: false, schedule: false, files: false },
    listWorkflows: async () => ({ workflows: [], problems: [] }),
    start: async () => Promise.reject(error),
    findStarted: async (_req, since) => (looks.push(since), listed),
    poll: async () => new Promise(() => {}),
    cancel: async () => ({ accepted: true }),
    check: async () => [],
    close: async () => {},
  };
  return { provider, looks };
}

describe('reconciling a lost start', () => {
  it('two lost starts with the same input adopt two different runs; a third finds none left and says unknown', async () => {
    const store = SqliteRunStore.open(':memory:');
    const { provider, looks } = losingProvider([runOf('r1'), runOf('r2')]);
    const t = new RunTracker({ store, providers: new Map([['fake', provider]]), log });
    const req = { workflow: wf, version: wf.versions[0]!, input: { same: true } };
    const [a, b] = await Promise.all([t.start(provider, req), t.start(provider, req)]);
    assert.deepEqual([a.runId, b.runId].sort(), ['r1', 'r2']);
    assert.ok(await store.get('fake', 'r1') && await store.get('fake', 'r2'), 'both journaled');
    await assert.rejects(t.start(provider, req), (e: WorkflowError) => e.code === 'outcome_unknown' && /recent runs were searched: none/.test(e.message));
    assert.equal(looks.length, 4, 'one look each for the first two, two looks (at once and a second later) for the third');
    await t.close(0);
  });

  it('a run this server already journals is not adopted; other errors pass through untouched', async () => {
    const store = SqliteRunStore.open(':memory:');
    await store.insert(runOf('mine'), 'me:1', new Date().toISOString());
    const { provider } = losingProvider([runOf('mine')]);
    const t = new RunTracker({ store, providers: new Map([['fake', provider]]), log });
    await assert.rejects(t.start(provider, { workflow: wf, version: wf.versions[0]!, input: { same: true } }), (e: WorkflowError) => e.code === 'outcome_unknown');
    const refused = losingProvider([runOf('x')], new WorkflowError('invalid_arguments', 'bad'));
    const t2 = new RunTracker({ store, providers: new Map([['fake', refused.provider]]), log });
    await assert.rejects(t2.start(refused.provider, { workflow: wf, version: wf.versions[0]!, input: {} }), (e: WorkflowError) => e.code === 'invalid_arguments' && e.message === 'bad');
    assert.equal(refused.looks.length, 0, 'only an unknown outcome is looked for');
  });
});
