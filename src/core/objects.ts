/*
 * Why not `{ ...base, key }` on a per-call path: on Node 20 (V8 11.3), an object made by a spread
 * and then given a key its source lacks — in the same literal or assigned later — is kept by the
 * young-generation GC until the next full GC, with everything it points to (measured in
 * isolation: about half the bytes of such objects survive each scavenge; on Node 22 and for
 * Object.assign, almost none). One on a run's path kept the run's objects alive through every
 * scavenge. Keys that override the source's own keys are not affected.
 */

/** `{ ...base, ...extra }`, built by Object.assign on a fresh object (see above). */
export function extend<T extends object, U extends object>(base: T, extra: U): Omit<T, keyof U> & U {
  return Object.assign({}, base, extra);
}

/** A shallow copy of `base` that may be given keys `base` lacks (see above). */
export function openCopy<T extends object>(base: T): T {
  return Object.assign({}, base);
}
