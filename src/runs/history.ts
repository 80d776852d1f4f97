import { WorkflowError } from '../core/errors.js';
import { parseJsonOr } from '../core/json.js';
import { extend } from '../core/objects.js';
import type { Provider, Run, RunStatus } from '../providers/types.js';
import type { JournalRun } from './journal.js';
import type { RunTracker } from './tracker.js';

export interface HistoryQuery {
  provider?: string | undefined;
  workflowId?: string | undefined;
  status?: RunStatus | undefined;
  /** Where the platform's runs were started (Cortex: WORKFLOW, ENDPOINT, …); platform history only. */
  origin?: string | undefined;
  /** Only the journal's runs this principal started (absent: all of them). */
  startedBy?: string | undefined;
  /** Merge the platform's own history (runs with no owner here): for admins only. */
  platformHistory: boolean;
  limit: number;
  cursor?: string | undefined;
}

type Cursor = { j: string | null; p: string | null; done: boolean };

function decode(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  const v = parseJsonOr(Buffer.from(cursor, 'base64url').toString('utf8'), null) as Cursor | null;
  if (!v || typeof v !== 'object' || !('j' in v) || !('p' in v)) throw new WorkflowError('invalid_arguments', 'The cursor is not one this server gave out; call again without a cursor.');
  return v;
}

function asJournalRun(run: Run): JournalRun {
  return extend(run, { updatedAt: run.endedAt ?? run.createdAt, owner: null, cancelRequested: false, message: null, steps: [], startedBy: null });
}

/**
 * Runs newest first: the journal, merged with the platform's own history when the query names
 * a provider that keeps one (runs started elsewhere show up too). Each page takes the next page
 * of both sources; a run in both is shown once, as the journal has it (it knows more).
 */
export async function listHistory(tracker: RunTracker, providers: ReadonlyMap<string, Provider>, q: HistoryQuery, signal?: AbortSignal): Promise<{ runs: JournalRun[]; nextCursor: string | null }> {
  const impl = q.provider ? providers.get(q.provider) : undefined;
  if (!impl?.history || !q.platformHistory) return await tracker.list(q);
  const c = decode(q.cursor) ?? { j: null, p: null, done: false };
  const local = c.j === 'end' ? { runs: [], nextCursor: null } : await tracker.list({ ...q, cursor: c.j ?? undefined });
  let remote: { runs: Run[]; nextCursor: string | null } = { runs: [], nextCursor: null };
  if (!c.done) {
    try {
      remote = await impl.history({ workflowId: q.workflowId, cursor: c.p ?? undefined, limit: q.limit, status: q.status, origin: q.origin, signal });
    } catch (err) {
      tracker.journalLog(`${q.provider}: platform history unavailable (${(err as Error).message}); showing this server's journal only`);
    }
  }
  // The journal's pages show every run it knows; the platform adds only the runs it does not.
  const known = await Promise.all(remote.runs.map((r) => tracker.store.get(r.provider, r.runId)));
  const fromPlatform = remote.runs.filter((r, i) => !known[i] && (!q.status || r.status === q.status)).map(asJournalRun);
  const runs = [...local.runs, ...fromPlatform].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const next: Cursor = { j: local.nextCursor ?? 'end', p: remote.nextCursor, done: remote.nextCursor === null };
  const more = local.nextCursor !== null || remote.nextCursor !== null;
  return { runs, nextCursor: more ? Buffer.from(JSON.stringify(next)).toString('base64url') : null };
}
