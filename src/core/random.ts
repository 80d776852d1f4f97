import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let at = 0;

/**
 * `bytes` random bytes from the CSPRNG as hex, drawn from a pool filled 4 KB at a time: a run id
 * per call made a randomBytes call (and a Buffer) per call. The bytes are as unguessable as
 * randomBytes' own; each is handed out once.
 */
export function randomHex(bytes: number): string {
  if (at + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    at = 0;
  }
  const hex = pool.toString('hex', at, at + bytes);
  at += bytes;
  return hex;
}

let lastIdMs = 0;

/**
 * The time part of a run id this process makes: `now`, or just after the last one when the clock
 * has not moved on, so ids made in one millisecond still sort in the order they were made (runs
 * listed newest first break ties of `created_at` by id). A burst runs a little ahead of the clock.
 */
export function idTime(now: number): number {
  lastIdMs = now > lastIdMs ? now : lastIdMs + 1;
  return lastIdMs;
}
