import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cortexFixtures, reset } from '../fakes/cortex/fixtures.js';
import { FakeCortex } from '../fakes/cortex/server.js';
import { FakeLooply } from '../fakes/looply/server.js';
import { startHarness, text, type Harness } from '../helpers/harness.js';

/**
 * Fault injection across the platform fakes (#15): a few hundred runs while 429s, 5xx, resets,
 * junk answers (before and after a start arrived) and broken event streams are mixed in. Whatever
 * happens: no run is started twice, no result is lost, and every run a platform started is in
 * the journal.
 */
const LOOPLY_RUNS = 100;
const CORTEX_RUNS = 150;
const CONCURRENCY = 10;

let looply: FakeLooply;
let cortex: FakeCortex;
let h: Harness;
let ticker: ReturnType<typeof setInterval>;

before(async () => {
  looply = await new FakeLooply().start();
  cortex = await new FakeCortex().start();
  reset(cortex, cortexFixtures());
  looply.workflows.push({ workflow_id: 'wf-card', workflow_name: 'Send Card', workflow_version: 2, workflow_status: 'ACTIVE', latest: true, workflow_mock_payload: { to: 'ann' }, states: ['start_state', 'build_card_state', 'send_card_state'], output: { sent: true } });
  looply.now = Date.now();
  // Looply moves its executions on, on its own clock, which keeps time with ours.
  ticker = setInterval(() => (looply.advance(1, 0), (looply.now = Date.now())), 30);
  h = await startHarness({ env: { LOOPLY_API_KEY: looply.key, LOOPLY_BASE_URL: looply.url, CORTEX_API_KEY: cortex.key, CORTEX_BASE_URL: cortex.url } });
});
after(async () => {
  clearInterval(ticker);
  await h.close();
  await looply.close();
  await cortex.close();
});

/** A small seeded generator, so a failing mix can be replayed. */
function prng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

type Outcome = { kind: 'completed'; runId: string; output: unknown } | { kind: 'error'; message: string } | { kind: 'other'; status: string };

async function pool(n: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await work(next++);
  }));
}

function outcomeOf(r: Awaited<ReturnType<Harness['call']>>): Outcome {
  const e = r.structuredContent as Record<string, unknown> | undefined;
  if (e && e['status'] === 'completed') return { kind: 'completed', runId: e['run_id'] as string, output: e['output'] };
  if (e && typeof e['status'] === 'string') return { kind: 'other', status: `${e['status']}: ${text(r)}` };
  return { kind: 'error', message: text(r) };
}

describe('fault injection across the platforms', () => {
  it(`${LOOPLY_RUNS + CORTEX_RUNS} runs through 429/5xx/resets/junk/stream drops: 0 duplicate starts, 0 lost results, every started run journaled`, { timeout: 240_000 }, async (t) => {
    const random = prng(20261127);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const looplyFaults = [
      () => looply.fail('POST triggerworkflow', { status: 429, retryAfter: '0' }),
      () => looply.fail('POST triggerworkflow', { status: 500 }),
      () => looply.fail('POST triggerworkflow', 'reset'),
      () => looply.fail('POST triggerworkflow', 'junk'),
      () => looply.fail('POST triggerworkflow', { after: 'junk' }),
      () => looply.fail('POST triggerworkflow', { after: 'reset' }),
      () => looply.fail('POST triggerworkflow', { after: 502 }),
      () => looply.fail('GET getWorkflowExecutionById', { status: 503 }),
      () => looply.fail('GET getWorkflowExecutionById', 'reset'),
      () => looply.fail('GET getWorkflowExecutionById', 'junk'),
      () => looply.fail('GET getWorkflowExecutionById', { status: 429, retryAfter: '0' }),
    ];
    const cortexFaults = [
      () => cortex.fail('start', { status: 429, retryAfter: '0' }),
      () => cortex.fail('start', { status: 500 }),
      () => cortex.fail('start', 'reset'),
      () => void (cortex.knobs.dropStreamAfter = Math.floor(random() * 4)),
      () => void (cortex.knobs.resetWithFirstRun = true),
      () => void (cortex.knobs.junkAfterStart = true),
      () => cortex.fail('get-run', { status: 503 }),
      () => cortex.fail('get-run', 'reset'),
    ];
    const outcomes = new Map<string, Outcome>();
    let injected = 0;
    await pool(LOOPLY_RUNS + CORTEX_RUNS, async (i) => {
      const onLooply = i % 5 < 2; // 2 in 5: LOOPLY_RUNS of the calls
      if (random() < 0.45) (injected++, (onLooply ? pick(looplyFaults) : pick(cortexFaults))());
      const key = `call-${i}`;
      const r = onLooply ? await h.call('looply_send_card', { to: key }) : await h.call('cortex_summarize_document', { text: key });
      outcomes.set(key, outcomeOf(r));
    });

    // What the platforms started, by the input each call sent.
    const started = new Map<string, Array<{ provider: 'looply' | 'cortex'; id: string }>>();
    for (const e of looply.executions.values()) {
      const k = String((e.input as { to?: unknown }).to);
      started.set(k, [...(started.get(k) ?? []), { provider: 'looply', id: e.id }]);
    }
    for (const r of cortex.runs.values()) {
      const k = String(r.input['text']);
      started.set(k, [...(started.get(k) ?? []), { provider: 'cortex', id: r.id }]);
    }
    const duplicates = [...started.entries()].filter(([, runs]) => runs.length > 1).map(([k]) => k);
    assert.deepEqual(duplicates, [], 'no input was started twice');

    const lost: string[] = [];
    const notJournaled: string[] = [];
    for (const [key, outcome] of outcomes) {
      const runs = started.get(key) ?? [];
      if (runs.length === 0) {
        assert.notEqual(outcome.kind, 'completed', `${key}: completed, yet the platform started nothing`);
        continue;
      }
      const run = runs[0]!;
      if (outcome.kind !== 'completed' || outcome.runId !== run.id) lost.push(`${key} → ${run.provider} ${run.id}: ${JSON.stringify(outcome).slice(0, 300)}`);
      const journaled = await h.app.deps.tracker.get(run.provider, run.id);
      if (!journaled) notJournaled.push(`${run.provider} ${run.id}`);
      else assert.equal(journaled.status, 'completed', `${run.provider} ${run.id} is ${journaled.status} in the journal`);
    }
    assert.deepEqual(lost, [], 'every run a platform started gave its result to the call that started it');
    assert.deepEqual(notJournaled, [], 'every run a platform started is in the journal');
    for (const [key, outcome] of outcomes) {
      if (outcome.kind !== 'completed') continue;
      assert.deepEqual(outcome.output, started.get(key)![0]!.provider === 'looply' ? { sent: true } : { summary: 'short' }, `${key}: the right output`);
    }
    const unknown = [...outcomes.values()].filter((o) => o.kind === 'error').length;
    assert.ok(injected > 80, `${injected} faults injected`);
    assert.ok(outcomes.size === LOOPLY_RUNS + CORTEX_RUNS);
    assert.deepEqual(looply.unexpected, []);
    assert.deepEqual(cortex.unexpected, []);
    t.diagnostic(`${injected} faults over ${outcomes.size} runs; ${unknown} calls ended with no run started (said unknown or failed)`);
  });
});
