import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import { FakeLooply } from '../fakes/looply/server.js';

/**
 * One Looply fake for a test file's tests, started before them and closed after. After each test
 * it must have seen no request it does not expect, its workflows are emptied, then `cleanUp` runs
 * (close the test's harness there). `env` points a harness at it.
 */
export function looplyFake(cleanUp: () => Promise<void>): { fake: FakeLooply; env: () => Record<string, string> } {
  const fake = new FakeLooply();
  before(async () => {
    await fake.start();
  });
  after(() => fake.close());
  afterEach(async () => {
    assert.deepEqual(fake.unexpected, [], 'the fake saw requests it does not expect');
    fake.workflows.length = 0;
    await cleanUp();
  });
  return { fake, env: () => ({ LOOPLY_API_KEY: fake.key, LOOPLY_BASE_URL: fake.url }) };
}

/** Runs `body` while the Looply fake's runs move on a step every 300 ms. */
export async function advancing<T>(fake: FakeLooply, body: () => Promise<T>): Promise<T> {
  const tick = setInterval(() => fake.advance(1), 300);
  try {
    return await body();
  } finally {
    clearInterval(tick);
  }
}
