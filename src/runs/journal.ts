import { WorkflowError } from '../core/errors.js';
import { parseJsonOr } from '../core/json.js';
import type { Run, RunStatus, RunStep } from '../providers/types.js';

/** A run as the journal keeps it: the common model plus what the tracker needs across restarts. */
export interface JournalRun extends Run {
  updatedAt: string;
  /** `host:pid` of the process that started it; local runs live and die with that process. */
  owner: string | null;
  cancelRequested: boolean;
  message: string | null;
  steps: RunStep[];
  /** The principal that started it (`local`, `token`, `<issuer>#<subject>`); null for runs from before principals, or from elsewhere. */
  startedBy: string | null;
}

export interface RunQuery {
  provider?: string | undefined;
  workflowId?: string | undefined;
  status?: RunStatus | undefined;
  /** Only the runs this principal started (absent: every run, for admins). */
  startedBy?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** One line for `doctor` and `/healthz`: whether the store answers, and what it is. */
export interface StoreCheck {
  name: string;
  ok: boolean;
  message: string;
}

/**
 * The run journal, whatever keeps it (a SQLite file, or PostgreSQL shared by replicas). Everything
 * above this interface — tracker, tools, resources, CLI — is the same for every backend.
 */
export interface RunStore {
  /** Records a run once, with the principal that started it (and, recorded late, its message, steps and cancel request); a second insert of the same run changes nothing. */
  insert(run: Run & Partial<JournalRun>, owner: string | null, now: string, startedBy?: string | null): Promise<void>;
  /** Writes the run's changing fields. */
  update(run: JournalRun, now: string): Promise<void>;
  get(provider: string, runId: string): Promise<JournalRun | undefined>;
  /** Newest first, keyset-paged so a cursor stays valid while new runs arrive. */
  list(q: RunQuery): Promise<{ runs: JournalRun[]; nextCursor: string | null }>;
  /** Runs not yet ended (queued, running, waiting, unknown), oldest first. */
  unfinished(): Promise<JournalRun[]>;
  /** For a run another process owns: that process sees the flag and cancels it. */
  requestCancel(provider: string, runId: string, now: string): Promise<void>;
  /** Unfinished runs of `owner` that someone asked to cancel. */
  cancelRequests(owner: string): Promise<Array<{ provider: string; runId: string }>>;
  /** Deletes finished runs that ended before `before`; returns how many. */
  prune(before: string): Promise<number>;
  /** Run ids starting with `prefix`, newest first (only `startedBy`'s when given), for completion of resource template arguments. */
  recentRunIds(provider: string | undefined, prefix: string, limit: number, startedBy?: string): Promise<string[]>;
  /** Whether the store answers, for `doctor` and `/healthz`. */
  check(): Promise<StoreCheck[]>;

  /** This process's name as a run owner: unique among the processes sharing the store. */
  readonly owner: string;
  /**
   * Keeps this process's runs its own for `ttlMs` more (no-op where liveness is by process id).
   * False when the lease had lapsed before this renewal: others may have adopted some runs.
   */
  renewLease(ttlMs: number): Promise<boolean>;
  /** Gives up the lease at a clean stop, so others adopt this process's leftovers at once. */
  releaseLease(): Promise<void>;
  /** Whether `owner` may still be running its runs (its process is there, or its lease holds). */
  isAlive(owner: string | null): Promise<boolean>;
  /** Unfinished runs whose owner stopped (its process is gone, or its lease lapsed). */
  orphans(): Promise<JournalRun[]>;
  /** Takes an orphan over; false when another process took it first (exactly one wins). */
  claim(run: JournalRun, now: string): Promise<boolean>;

  /** Whether other processes hear `signal` at once; otherwise they find out by reading. */
  readonly signals: boolean;
  /**
   * Writes land in the order they are made (one queue, never retried): a run's update may be
   * made before its insert has landed, and may share its transaction. Absent: one at a time.
   */
  readonly writesInOrder?: boolean;
  /**
   * Replicas behind a balancer share this store (PostgreSQL): a caller told of a run may ask
   * another replica next, at once, so an answer about a run waits until its writes so far
   * landed. Absent (SQLite, one host): the answer leaves at once; the writes land in the same
   * loop turn, and this process's own reads see them before that.
   */
  readonly sharedByReplicas?: boolean;
  /** Tells the other processes sharing the store (run changes are told by `update` itself). */
  signal(s: RunSignal): Promise<void>;
  /** What the other processes said; never this process's own signals. */
  onSignal(listener: (s: RunSignal) => void): () => void;
  /** After signals may have been lost (a reconnect): re-read what you wait on. */
  onResync(listener: () => void): () => void;
  close(): Promise<void>;
}

/** News about one run between processes: it changed, someone asks to cancel it, or to look again. */
export interface RunSignal {
  kind: 'change' | 'cancel' | 'wake';
  provider: string;
  runId: string;
  /** The run's owner, so only it acts on `cancel` and `wake`. */
  owner?: string | null | undefined;
  status?: string | undefined;
}

/** Statuses of runs that have not ended; both backends index on them. */
export const UNFINISHED = ['queued', 'running', 'waiting', 'unknown'] as const;

export function encodeCursor(run: Pick<Run, 'createdAt' | 'provider' | 'runId'>): string {
  return Buffer.from(JSON.stringify([run.createdAt, run.provider, run.runId])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string, string] {
  const value = parseJsonOr(Buffer.from(cursor, 'base64url').toString('utf8'), null);
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'string')) {
    throw new WorkflowError('invalid_arguments', 'The cursor is not one this server gave out; call again without a cursor.');
  }
  return value as [string, string, string];
}

/** A stored row (column → text) back into a run; both backends store the same columns as text. */
export function rowToRun(row: Record<string, unknown>): JournalRun {
  const s = (k: string): string | null => (row[k] === null || row[k] === undefined ? null : String(row[k]));
  return {
    provider: s('provider')!, runId: s('run_id')!, workflowId: s('workflow_id')!, ...(s('version') === null ? {} : { version: s('version')! }),
    status: s('status') as RunStatus, input: parseJsonOr(s('input'), null), output: parseJsonOr(s('output'), null), error: s('error'),
    message: s('message'), steps: parseJsonOr(s('steps'), []) as RunStep[], ...(s('raw') === null ? {} : { raw: parseJsonOr(s('raw'), null) }),
    createdAt: s('created_at')!, startedAt: s('started_at'), endedAt: s('ended_at'), updatedAt: s('updated_at')!,
    owner: s('owner'), cancelRequested: Number(row['cancel_requested']) === 1 || row['cancel_requested'] === true, startedBy: s('started_by'),
  };
}

/** The columns an insert writes, as text (JSON for structured values), named as in both schemas. */
export function insertValues(run: Run & Partial<JournalRun>, owner: string | null, now: string, startedBy: string | null = null): Record<string, string | number | null> {
  return {
    startedBy,
    provider: run.provider, runId: run.runId, workflowId: run.workflowId, version: run.version ?? null, status: run.status,
    input: JSON.stringify(run.input ?? null), output: jsonOrNull(run.output), error: run.error, raw: run.raw === undefined ? null : JSON.stringify(run.raw),
    createdAt: run.createdAt, startedAt: run.startedAt, endedAt: run.endedAt, now, owner,
    // A run recorded late (see LAZY_INSERT_MS) may already have a message, steps, a cancel request.
    message: run.message ?? null, steps: run.steps?.length ? JSON.stringify(run.steps) : null, cancel: run.cancelRequested ? 1 : 0,
  };
}

/** The columns an update writes. */
export function updateValues(run: JournalRun, now: string): Record<string, string | number | null> {
  return {
    provider: run.provider, runId: run.runId, status: run.status, error: run.error, message: run.message, output: jsonOrNull(run.output),
    steps: run.steps.length ? JSON.stringify(run.steps) : null, raw: run.raw === undefined ? null : JSON.stringify(run.raw),
    startedAt: run.startedAt, endedAt: run.endedAt, now, cancel: run.cancelRequested ? 1 : 0,
  };
}

function jsonOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}
