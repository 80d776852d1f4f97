/**
 * The journal's WAL checkpoints, on a thread of their own (see `sqlite-checkpoint.ts`): waits until
 * the main thread asks, then copies the WAL back into the database file with a PASSIVE checkpoint,
 * which never blocks the writer. Its connection syncs as the store's does (`synchronous = NORMAL`:
 * the WAL before copying, the database file after).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite-engine.js';

const { path, shared } = workerData as { path: string; shared: SharedArrayBuffer };
/** [0]: checkpoint requests so far; [1]: 1 when the store closes; [2]: checkpoints done. */
const state = new Int32Array(shared);
const db = openSqlite(path);
db.exec('PRAGMA synchronous = NORMAL');
db.exec('PRAGMA wal_autocheckpoint = 0'); // this connection never writes; it checkpoints only when asked
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let seen = 0;
for (;;) {
  Atomics.wait(state, 0, seen); // this thread has nothing else to do: sleep until asked
  seen = Atomics.load(state, 0);
  if (Atomics.load(state, 1) === 1) break;
  try {
    checkpoint.get();
    Atomics.add(state, 2, 1);
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message }); // the main connection checkpoints again
    break;
  }
}
db.close();
