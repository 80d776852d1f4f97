import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cutUtf8, JSON_DEPTH_MAX, jsonBytes, jsonHead, measureJson, STRINGIFY_DEPTH_SAFE } from '../core/json.js';
import type { Logger } from '../core/log.js';
import type { Redactor } from '../core/redact.js';
import type { Run } from '../providers/types.js';
import type { JournalRun, RunStore } from './journal.js';

/** What stands in the journal for a value over `runs.storeOutputMaxBytes`: its size and its start. */
export interface StoredCut {
  truncated: true;
  size_bytes: number | null;
  head: string;
  note: string;
}

/**
 * Cuts a JSON value to at most `maxBytes` for storing: whole when it fits, else the first bytes of
 * its JSON text with a note. A 50 MB output must not cost 50 MB of journal and seconds of writing.
 */
export function storedCopy(value: unknown, maxBytes: number): unknown {
  const rough = measureJson(value, { maxDepth: JSON_DEPTH_MAX, maxBytes });
  if (!rough.over) return value;
  // Measured and cut without building its JSON text: a 50 MB output costs maxBytes here, not 50 MB.
  if (measureJson(value, { maxDepth: STRINGIFY_DEPTH_SAFE }).over) return { truncated: true, size_bytes: null, head: '', note: `nested deeper than ${STRINGIFY_DEPTH_SAFE} levels; not kept in the journal` } satisfies StoredCut;
  const size = jsonBytes(value);
  if (size <= maxBytes) return value;
  const cut: StoredCut = { truncated: true, size_bytes: size, head: jsonHead(value, maxBytes).text, note: `only the first ${maxBytes} bytes of its JSON text are kept in the journal (runs.storeOutputMaxBytes)` };
  return cut;
}

/**
 * The run store as the tracker writes to it: every known secret masked and every big value cut
 * (`storedCopy`) before a write, whatever the backend. A platform that echoes the API key in a
 * run's output must not put it on disk in clear.
 */
export class SafeRunStore implements RunStore {
  constructor(private readonly inner: RunStore, private readonly o: { redactor: Redactor; maxBytes: number }) {}

  private clean<T extends Run>(run: T): T {
    const { redactor, maxBytes } = this.o;
    const value = (v: unknown): unknown => redactor.redactValue(storedCopy(v, maxBytes));
    const out: T = { ...run, input: value(run.input), output: value(run.output), error: run.error === null ? null : redactor.redact(cutUtf8(run.error, 64 * 1024)) };
    if (run.raw !== undefined) out.raw = value(run.raw);
    const j = out as Partial<JournalRun>;
    if (Array.isArray(j.steps)) {
      const steps = value(j.steps);
      j.steps = Array.isArray(steps) ? (steps as JournalRun['steps']) : []; // too big to keep: the steps column stays a list
    }
    if (typeof j.message === 'string') j.message = redactor.redact(j.message);
    return out;
  }

  insert(run: Run & Partial<JournalRun>, owner: string | null, now: string, startedBy?: string | null): Promise<void> {
    return this.inner.insert(this.clean(run), owner, now, startedBy);
  }
  update(run: JournalRun, now: string): Promise<void> {
    return this.inner.update(this.clean(run), now);
  }
  get: RunStore['get'] = (...a) => this.inner.get(...a);
  list: RunStore['list'] = (...a) => this.inner.list(...a);
  unfinished: RunStore['unfinished'] = () => this.inner.unfinished();
  requestCancel: RunStore['requestCancel'] = (...a) => this.inner.requestCancel(...a);
  cancelRequests: RunStore['cancelRequests'] = (...a) => this.inner.cancelRequests(...a);
  prune: RunStore['prune'] = (...a) => this.inner.prune(...a);
  recentRunIds: RunStore['recentRunIds'] = (...a) => this.inner.recentRunIds(...a);
  check: RunStore['check'] = () => this.inner.check();
  close: RunStore['close'] = () => this.inner.close();
  get owner(): string {
    return this.inner.owner;
  }
  get signals(): boolean {
    return this.inner.signals;
  }
  get writesInOrder(): boolean {
    return this.inner.writesInOrder === true;
  }
  get sharedByReplicas(): boolean {
    return this.inner.sharedByReplicas === true;
  }
  renewLease: RunStore['renewLease'] = (...a) => this.inner.renewLease(...a);
  releaseLease: RunStore['releaseLease'] = () => this.inner.releaseLease();
  isAlive: RunStore['isAlive'] = (...a) => this.inner.isAlive(...a);
  orphans: RunStore['orphans'] = () => this.inner.orphans();
  claim: RunStore['claim'] = (...a) => this.inner.claim(...a);
  signal: RunStore['signal'] = (...a) => this.inner.signal(...a);
  onSignal: RunStore['onSignal'] = (...a) => this.inner.onSignal(...a);
  onResync: RunStore['onResync'] = (...a) => this.inner.onResync(...a);
}

/** The state folder only its owner may enter (0700), created so; a looser existing one is tightened. */
export function secureStateDir(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    const mode = statSync(dir).mode & 0o777;
    if (mode & 0o077) {
      chmodSync(dir, 0o700);
      log.info(`the state folder ${dir} was readable by others (${mode.toString(8)}); now 0700`);
    }
  } catch (err) {
    log.warn(`could not make the state folder ${dir} private: ${(err as Error).message}`);
  }
}

/** Every file this server keeps in the state folder (journal, its WAL, snapshots): 0600. */
export function secureStateFiles(dir: string, log: Logger): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (!/^(runs\.db(-wal|-shm|-journal)?|catalog-.*\.json)$/.test(name)) continue;
    try {
      const path = join(dir, name);
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    } catch (err) {
      log.debug(`could not make ${name} private: ${(err as Error).message}`);
    }
  }
}
