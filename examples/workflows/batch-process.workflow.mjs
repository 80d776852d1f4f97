// A long-running workflow: it reports progress as it goes and stops when cancelled.
// The cancellation pattern to copy: hand ctx.signal to whatever waits (timers, fetch, child
// processes); `setTimeout` from node:timers/promises removes its abort listener when it ends,
// so a long batch never piles up listeners on the signal.
import { setTimeout as sleep } from 'node:timers/promises';

export default {
  name: 'Batch Process',
  description: 'Processes a batch of items one at a time (a stand-in for slow work such as calling an API per record), reporting progress after each item. Cancellable.',
  version: '1',
  timeoutSeconds: 3600,
  input: {
    type: 'object',
    properties: {
      items: { type: 'integer', minimum: 1, maximum: 10000, default: 10, description: 'How many items to process.' },
      seconds_per_item: { type: 'number', minimum: 0, maximum: 60, default: 0.5 },
      fail_at: { type: 'integer', minimum: 1, description: 'Fail on this item, to see a failed run.' },
    },
    additionalProperties: false,
  },
  async run({ items, seconds_per_item, fail_at }, ctx) {
    const done = [];
    for (let i = 1; i <= items; i++) {
      await sleep(seconds_per_item * 1000, undefined, { signal: ctx.signal }); // rejects at once on cancel
      if (i === fail_at) throw new Error(`item ${i} could not be processed`);
      done.push({ item: i, checksum: (i * 2654435761) % 4294967296 });
      ctx.progress(`item ${i} of ${items}`, i / items);
    }
    return { processed: done.length, last: done[done.length - 1] ?? null };
  },
};
