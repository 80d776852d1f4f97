import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ProviderError } from '../../src/http/errors.js';
import { LooplyClient } from '../../src/providers/looply/client.js';
import { classify, inputSchemaOf, statusOf, toRun, versionOf } from '../../src/providers/looply/map.js';
import { lastStateEvidence, structureOf, structureOfDetails } from '../../src/providers/looply/structure.js';
import { Execution, WorkflowSummary } from '../../src/providers/looply/wire.js';
import { prepareSchema } from '../../src/mcp/schema.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { LooplyProvider } from '../../src/providers/looply/provider.js';
import type { SchemaCache } from '../../src/providers/schema-cache.js';
import type { Run } from '../../src/providers/types.js';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';

const ex = (over: Record<string, unknown>) => Execution.parse({ workflow_execution_id: 'e1', workflow_id: 'w1', created_on: 1_700_000_000_000, ...over });

describe('looply mapping', () => {
  it('status: event-log terminal entries first, then the state map, then the state name rules', () => {
    assert.equal(statusOf(ex({ workflow_current_state: 'x', workflow_event_log: [{ type: 'ExecutionSucceeded' }] })), 'completed');
    assert.equal(statusOf(ex({ workflow_current_state: 'x', workflow_event_log: { a: { type: 'ExecutionTimedOut' } } })), 'failed');
    assert.equal(statusOf(ex({ workflow_current_state: 'x', workflow_event_log: [{ type: 'ExecutionAborted' }] })), 'cancelled');
    assert.equal(statusOf(ex({ workflow_current_state: 'approval_gate' }), { '*gate*': 'waiting' }), 'waiting');
    assert.equal(statusOf(ex({ workflow_current_state: 'wait_for_response_state' })), 'waiting');
    assert.equal(statusOf(ex({ workflow_current_state: 'payment_failed' })), 'failed');
    assert.equal(statusOf(ex({ workflow_current_state: 'enrich_state' })), 'running');
    assert.equal(statusOf(ex({ workflow_current_state: null, workflow_output_payload: { a: 1 } })), 'completed');
  });

  it('maps an execution to a run: epoch-ms times, output only once completed', () => {
    const run = toRun(ex({ workflow_version: '3', workflow_current_state: 'end', workflow_event_log: [{ type: 'ExecutionSucceeded' }], workflow_output_payload: { ok: 1 }, modified_on: 1_700_000_005_000 }));
    assert.equal(run.version, '3');
    assert.equal(run.createdAt, '2023-11-14T22:13:20.000Z');
    assert.equal(run.endedAt, '2023-11-14T22:13:25.000Z');
    assert.deepEqual(run.output, { ok: 1 });
    assert.equal(toRun(ex({ workflow_current_state: 'a', workflow_output_payload: { partial: 1 } })).output, null);
  });

  it('reads `latest` as the string "true"/"false" and versions from ACTIVE_3', () => {
    const w = WorkflowSummary.parse({ workflow_id: 'w', latest: 'false', workflow_status_version: 'ACTIVE_3' });
    assert.equal(w.latest, false);
    assert.equal(versionOf(w), 3);
    assert.equal(versionOf(WorkflowSummary.parse({ workflow_id: 'w', workflow_version: '7' })), 7);
  });

  it('uses a JSON Schema when given one; else derives an all-optional schema from the mock payload', () => {
    const js = { type: 'object', properties: { a: { type: 'string' } } };
    assert.deepEqual(inputSchemaOf(js, {}).schema, js);
    const derived = inputSchemaOf({ some: 'non-schema' }, { name: 'Ann', qty: 2, tags: ['x'], nested: { ok: true } });
    assert.deepEqual(derived.schema, { type: 'object', additionalProperties: true, properties: { name: { type: 'string' }, qty: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } }, nested: { type: 'object', properties: { ok: { type: 'boolean' } } } } });
    assert.match(derived.note!, /Example payload.*"qty":2/);
    assert.equal(prepareSchema(derived.schema).validate({ qty: 2.5, extra: 1 }).ok, true, 'all optional, extra fields allowed');
    const huge = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i]));
    const big = inputSchemaOf(null, huge);
    assert.equal(Object.keys(big.schema['properties'] as object).length, 500, 'a 10,000-property mock payload is capped');
    assert.match(big.note!, /too large to show/);
  });
});

describe('looply last-state rule', () => {
  const steps = [{ id: 'a1', name: 'start_state' }, { id: 'b2', name: 'send_card_state' }, { id: 'c3', name: 'notify_state' }];
  it('reads steps and connections in the common spellings: from/to, source/target by id, a step\'s next, a map by source', () => {
    for (const s of [
      structureOf(steps, [{ from: 'start_state', to: 'send_card_state' }, { from: 'start_state', to: 'notify_state' }]),
      structureOf(steps, [{ source: 'a1', target: 'b2' }, { source: 'a1', target: 'c3' }]),
      structureOf([{ name: 'start_state', next: ['send_card_state', 'notify_state'] }, { name: 'send_card_state' }, { name: 'notify_state', next: [] }], undefined),
      structureOf({ start_state: { type: 'TASK' }, send_card_state: {}, notify_state: {} }, { start_state: ['send_card_state', 'notify_state'] }),
      structureOfDetails({ workflow_name: 'x', steps, connections: [{ sourceId: 'a1', targetId: 'b2' }, { sourceId: 'a1', targetId: 'c3' }] }),
    ]) {
      assert.equal(lastStateEvidence('send_card_state', s), 'last');
      assert.equal(lastStateEvidence('notify_state', s), 'last');
      assert.equal(lastStateEvidence('start_state', s), 'not-last');
      assert.equal(lastStateEvidence('elsewhere', s), 'not-in-structure');
    }
    assert.equal(structureOfDetails({ workflow_name: 'only a name' }), null);
    assert.equal(lastStateEvidence('x', null), 'no-structure');
  });

  it('an output in the last state is completed, whatever its name; missing or contradictory evidence is said, not guessed', () => {
    const details = { steps, connections: [{ from: 'start_state', to: 'send_card_state' }] };
    assert.equal(statusOf(ex({ workflow_current_state: 'send_card_state', workflow_output_payload: { ok: 1 }, workflow_details: details })), 'completed');
    assert.equal(statusOf(ex({ workflow_current_state: 'send_card_state', workflow_details: details })), 'running', 'no output yet');
    assert.equal(statusOf(ex({ workflow_current_state: 'start_state', workflow_output_payload: { ok: 1 }, workflow_details: details })), 'running', 'it goes on from here');
    const byId = structureOf(steps, [{ from: 'start_state', to: 'send_card_state' }]);
    assert.equal(statusOf(ex({ workflow_current_state: 'send_card_state', workflow_output_payload: { ok: 1 } }), undefined, byId), 'completed', 'from getWorkflowById when the execution has no structure');
    const none = classify(ex({ workflow_current_state: 'send_card_state', workflow_output_payload: { ok: 1 } }));
    assert.deepEqual([none.status, /did not give the workflow's structure.*stateMap/.test(none.note ?? '')], ['running', true]);
    const odd = classify(ex({ workflow_current_state: 'mystery', workflow_output_payload: { ok: 1 }, workflow_details: details }));
    assert.deepEqual([odd.status, /has no state "mystery"/.test(odd.note ?? '')], ['running', true]);
    assert.equal(statusOf(ex({ workflow_current_state: 'send_card_state', workflow_output_payload: { ok: 1 } }), { 'send_card*': 'failed' }, byId), 'failed', 'the state map overrides');
    assert.equal(toRun(ex({ workflow_current_state: 'end', workflow_output_payload: { ok: 1 } })).endedAt, null, 'no modified_on: the tracker takes the time it saw the end');
  });
});

describe('looply client against the fake', () => {
  let fake: FakeLooply;
  let client: LooplyClient;
  before(async () => {
    fake = await new FakeLooply().start();
  });
  after(() => fake.close());
  beforeEach(() => {
    client = new LooplyClient({ apiKey: fake.key, baseUrl: fake.url, sleep: async () => {}, timeoutMs: 2000 });
    fake.workflows.length = 0;
    fake.executions.clear();
    fake.knobs.failures.length = 0;
    fake.knobs.eventLog = 'none';
    fake.knobs.details = 'full';
    for (const k of Object.keys(fake.calls)) delete fake.calls[k];
  });

  it('pages workflows with lastKey, 30 at most per page', async () => {
    for (let i = 0; i < 65; i++) fake.workflows.push({ workflow_id: `w${String(i).padStart(2, '0')}`, workflow_name: `W ${i}`, workflow_version: 1, workflow_status: 'ACTIVE', latest: true });
    const seen: string[] = [];
    let key: Record<string, string | number> | undefined;
    do {
      const page = await client.listWorkflows(key);
      seen.push(...page.items.map((w) => w.workflow_id));
      key = page.lastKey ?? undefined;
    } while (key);
    assert.equal(seen.length, 65);
    assert.equal(fake.calls['GET getOrganizationWorkflows'], 3);
    assert.deepEqual(fake.unexpected, []);
  });

  it('triggers, reads, parks in a wait, resumes (409 when not waiting), terminates, toggles schedules', async () => {
    fake.workflows.push({ workflow_id: 'w1', workflow_name: 'Approve', workflow_version: 2, workflow_status: 'ACTIVE', latest: true, states: ['start', 'wait_for_response_state', 'end'], output: { approved: true } });
    const { looply_execution_id: id } = await client.trigger('w1', 2, { amount: 5 });
    fake.advance(5);
    let item = (await client.getExecution('w1', id)).item;
    assert.equal(statusOf(item), 'waiting');
    await client.resume(id, { answer: 'yes' }, 'TEAMS');
    await assert.rejects(client.resume(id, {}, 'TEAMS'), (e: ProviderError) => e.code === 'conflict' && e.status === 409);
    fake.advance(1);
    item = (await client.getExecution('w1', id)).item;
    assert.equal(statusOf(item), 'completed');
    assert.deepEqual(toRun(item).output, { approved: true });
    const second = (await client.trigger('w1', undefined, {})).looply_execution_id;
    await client.terminate(second, 'stopped by the agent');
    assert.equal(statusOf((await client.getExecution('w1', second)).item), 'running', 'with no event log, nothing in the execution says it was terminated');
    fake.knobs.eventLog = 'sfn';
    assert.equal(statusOf((await client.getExecution('w1', second)).item), 'cancelled');
    assert.equal((await client.toggleSchedule('w1', 2, 'PAUSE')).status, 'PAUSED');
    const history = await client.executionHistory('w1');
    assert.deepEqual(history.items.map((e) => e.workflow_execution_id), [second, id]);
    assert.deepEqual(fake.unexpected, []);
  });

  it('a trigger whose response is lost is not sent again: outcome unknown, one execution', async () => {
    fake.workflows.push({ workflow_id: 'w1', workflow_name: 'A', workflow_version: 1, workflow_status: 'ACTIVE', latest: true });
    fake.fail('POST triggerworkflow', 'reset');
    await assert.rejects(client.trigger('w1', 1, {}), (e: ProviderError) => e.code === 'outcome_unknown');
    assert.equal(fake.calls['POST triggerworkflow'], 1);
    fake.fail('GET getWorkflowExecutionById', { status: 500 });
    fake.fail('GET getWorkflowExecutionById', { status: 429, retryAfter: '1' });
    const id = (await client.trigger('w1', 1, {})).looply_execution_id;
    assert.equal((await client.getExecution('w1', id)).item.workflow_execution_id, id, 'reads are retried through 5xx and 429');
    assert.equal(fake.calls['GET getWorkflowExecutionById'], 3);
  });

  it('a trigger that times out is not sent again either', async () => {
    fake.workflows.push({ workflow_id: 'w1', workflow_name: 'A', workflow_version: 1, workflow_status: 'ACTIVE', latest: true });
    fake.knobs.latencyMs = 400;
    try {
      const slow = new LooplyClient({ apiKey: fake.key, baseUrl: fake.url, sleep: async () => {}, timeoutMs: 150 });
      await assert.rejects(slow.trigger('w1', 1, {}), (e: ProviderError) => e.code === 'outcome_unknown' && /timed out/.test(e.message));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(fake.calls['POST triggerworkflow'], 1);
    } finally {
      fake.knobs.latencyMs = 0;
    }
  });

  it('a wrong key is refused (403) with a clear message and no key in it; junk JSON is a bad_response', async () => {
    const bad = new LooplyClient({ apiKey: 'wrong-key-123456', baseUrl: fake.url, sleep: async () => {} });
    await assert.rejects(bad.listWorkflows(), (e: ProviderError) => e.code === 'forbidden' && !e.message.includes('wrong-key-123456'));
    fake.fail('GET getOrganizationWorkflows', 'junk', 3);
    await assert.rejects(client.listWorkflows(), (e: ProviderError) => e.code === 'bad_response');
  });

  it('an ACTIVE version\'s structure is read once for every replica sharing the schema cache', async () => {
    fake.knobs.details = 'empty'; // the execution does not carry it: getWorkflowById is the evidence
    fake.workflows.push({ workflow_id: 'w1', workflow_name: 'Card', workflow_version: 2, workflow_status: 'ACTIVE', latest: true, states: ['start_state', 'send_card_state'], output: { sent: true } });
    const shared = new Map<string, string>();
    const cache: SchemaCache = { get: async (k) => shared.get(k), put: async (k, v) => void shared.set(k, v) };
    const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });
    const replica = (): LooplyProvider => new LooplyProvider({ apiKey: fake.key, baseUrl: fake.url, log, schemaCache: cache });
    const [a, b] = [replica(), replica()];
    const { looply_execution_id: id } = await client.trigger('w1', 2, {});
    fake.advance(5);
    const run = { provider: 'looply', workflowId: 'w1', version: '2', runId: id } as Run;
    assert.equal((await a.poll(run, new AbortController().signal)).status, 'completed');
    await new Promise((r) => setImmediate(r)); // the shared copy is stored without waiting
    assert.equal((await b.poll(run, new AbortController().signal)).status, 'completed', 'B judges the last state from the shared structure');
    assert.equal(fake.calls['GET getWorkflowById'], 1);
    assert.equal([...shared.keys()].filter((k) => k.includes('structure w1/2')).length, 1);
    assert.deepEqual(fake.unexpected, []);
  });
});
