import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RateGate } from '../../src/http/gate.js';
import { PgBuckets, type SharedBuckets } from '../../src/http/shared-rate.js';
import { pgUnavailable } from '../helpers/pg.js';
import { pgReplicas } from '../helpers/state.js';

describe('a platform rate gate whose allowance is shared (Cortex across replicas)', () => {
  it('asks the shared bucket for every turn, named per account, and waits as long as it says', async () => {
    const asked: Array<[string, number, number]> = [];
    const answers = [0, 1500, 0];
    const buckets: SharedBuckets = { take: async (name, perSecond, burst) => (asked.push([name, perSecond, burst]), answers.shift() ?? 0) };
    const slept: number[] = [];
    const gate = new RateGate({ perMinute: 600, shared: { buckets, name: 'cortex:app_1' }, sleep: async (ms) => void slept.push(ms) });
    await gate.take('list workflows', 60_000);
    await gate.take('list workflows', 60_000);
    assert.deepEqual(asked, [['cortex:app_1', 10, 600], ['cortex:app_1', 10, 600], ['cortex:app_1', 10, 600]]);
    assert.deepEqual(slept, [1500]);
    await assert.rejects(new RateGate({ perMinute: 600, shared: { buckets: { take: async () => 90_000 }, name: 'x' } }).take('start a run', 30_000), /rate limit is reached; it accepts requests again in 90 s/);
  });
});

describe('background reads (catalog listings) leave a fifth of the allowance to the others', () => {
  it('in one process: background turns stop at the reserve while a start still goes at once', async () => {
    let t = 1_000_000;
    const slept: number[] = [];
    const gate = new RateGate({ perMinute: 60, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) });
    for (let i = 0; i < 48; i++) await gate.take('list workflows', 60_000, undefined, true);
    assert.deepEqual(slept, [], '48 of 60 go at once');
    await gate.take('list workflows', 60_000, undefined, true);
    assert.deepEqual(slept, [1000], 'the 49th waits for a token beyond the reserve of 12');
    for (let i = 0; i < 12; i++) await gate.take('start a run', 0);
    assert.deepEqual(slept, [1000], 'starts spend the reserve without waiting');
    await assert.rejects(gate.take('start a run', 0), /rate limit is reached/);
  });
});

const skip = (await pgUnavailable()) ?? false;
const pg = pgReplicas();
after(() => pg.drop());

describe('the shared allowance in PostgreSQL, seen by two replicas', { skip }, () => {
  it('two replicas together get one allowance, not one each', async () => {
    const [a, b] = [new PgBuckets(await pg.open()), new PgBuckets(await pg.open())];
    const gate = (buckets: SharedBuckets) => new RateGate({ perMinute: 6, shared: { buckets, name: 'cortex:shared-test' } });
    const [ga, gb] = [gate(a), gate(b)];
    for (let i = 0; i < 3; i++) {
      await ga.take('read', 0);
      await gb.take('read', 0);
    }
    // Six turns were the whole burst of a 6-a-minute account: the next turn is ~10 s away, for both.
    await assert.rejects(ga.take('read', 1000), /rate limit is reached/);
    await assert.rejects(gb.take('read', 1000), /rate limit is reached/);
  });

  it('background turns leave the reserve in the shared bucket to the other replica\'s starts', async () => {
    const [a, b] = [new PgBuckets(await pg.open()), new PgBuckets(await pg.open())];
    const gate = (buckets: SharedBuckets) => new RateGate({ perMinute: 10, shared: { buckets, name: 'cortex:reserve-test' } });
    const [ga, gb] = [gate(a), gate(b)];
    for (let i = 0; i < 8; i++) await ga.take('list workflows', 0, undefined, true);
    await assert.rejects(ga.take('list workflows', 1000, undefined, true), /rate limit is reached/, 'the last 2 of 10 are the reserve');
    await gb.take('start a run', 0);
    await gb.take('start a run', 0);
    await assert.rejects(gb.take('start a run', 1000), /rate limit is reached/);
  });
});
