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
});
