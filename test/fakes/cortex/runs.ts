/** The fake's runs: a script per run that walks its steps on timers and tells its stream. */

export type CortexStatus = 'PENDING' | 'RUNNING' | 'CANCELLED' | 'COMPLETED' | 'SKIPPED' | 'FAILED';

export interface FakeStep {
  key: string;
  type: 'input' | 'code' | 'model' | 'http_request' | 'browser' | 'workflow' | 'service' | 'branch' | 'note';
  /** Streamed pieces of a model step's message. */
  chunks?: number;
  /** This step fails (and with it the run). */
  fail?: boolean;
  skip?: boolean;
}

export interface FakeVersion {
  id: string;
  version: number;
  input?: unknown;
  input_default?: unknown;
  steps: FakeStep[];
  result?: unknown;
}

export interface FakeWorkflowDef {
  id: string;
  name: string;
  description?: string | null;
  scope: 'own' | 'discover';
  versions: FakeVersion[];
  /** The deployed version number, or null (never deployed). */
  deployed: number | null;
  draft?: { input?: unknown; input_default?: unknown; steps: FakeStep[]; result?: unknown };
  tags?: string[];
}

export type Send = (event: 'run' | 'step' | 'chunk', data: unknown) => void;

export interface FakeRun {
  id: string;
  workflow: FakeWorkflowDef;
  version: FakeVersion | null;
  status: CortexStatus;
  input: Record<string, unknown>;
  output: Record<string, Record<string, unknown>>;
  result?: unknown;
  error?: string;
  origin: 'WORKFLOW' | 'ENDPOINT';
  created: number;
  started: number | null;
  ended: number | null;
  retention: unknown;
  /** Files that came as multipart parts: field → names. */
  files: Record<string, string[]>;
  cancelRequested: boolean;
  /** Cancelled without a word on its stream, which stays open (a platform that does that). */
  silentCancel?: boolean;
  listeners: Set<Send>;
  done: Promise<void>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function runView(r: FakeRun): Record<string, unknown> {
  return {
    id: r.id, status: r.status, origin: r.origin, input: r.input, output: r.output,
    ...(r.result !== undefined ? { result: r.result } : {}), ...(r.error ? { error: r.error } : {}),
    app_id: 'app_test', workflow_app_id: r.workflow.scope === 'own' ? 'app_test' : 'app_shared', workflow_id: r.workflow.id,
    workflow_version: r.version ? { id: r.version.id, version: r.version.version } : null, workflow_version_draft: r.version ? null : { key: 'draft' },
    ...(r.version ? { version: r.version.version } : {}),
    started_at: iso(r.started), ended_at: iso(r.ended), created_at: iso(r.created), updated_at: iso(r.ended ?? r.started ?? r.created),
    retention: r.retention ?? null, retention_due_at: typeof r.retention === 'object' && r.retention ? iso(r.created + (r.retention as { max_age_in_seconds: number }).max_age_in_seconds * 1000) : null,
  };
}

/**
 * Walks the steps: run(RUNNING) → per step step(RUNNING) → chunk… → step(COMPLETED) →
 * run(COMPLETED with result). A cancel ends it between two events; a failing step fails it.
 */
export async function script(r: FakeRun, steps: FakeStep[], result: unknown, stepMs: number): Promise<void> {
  const tell: Send = (event, data) => {
    for (const l of r.listeners) l(event, data);
  };
  const cancelled = (): boolean => {
    if (!r.cancelRequested) return false;
    r.status = 'CANCELLED';
    r.ended = Date.now();
    if (!r.silentCancel) tell('run', runView(r));
    return true;
  };
  await sleep(0);
  r.status = 'RUNNING';
  r.started = Date.now();
  tell('run', runView(r));
  for (const s of steps) {
    if (cancelled()) return;
    const start = Date.now();
    if (s.skip) {
      r.output[s.key] = { key: s.key, type: s.type, status: 'SKIPPED', start, end: start };
      tell('step', r.output[s.key]);
      continue;
    }
    r.output[s.key] = { key: s.key, type: s.type, status: 'RUNNING', start };
    tell('step', r.output[s.key]);
    for (let i = 0; i < (s.chunks ?? 0); i++) {
      if (i % 50 === 0) await sleep(0);
      const piece = `w${i} `;
      const step = r.output[s.key]!;
      const message = `${((step['output'] as { message?: string } | undefined)?.message ?? '')}${piece}`;
      r.output[s.key] = { ...step, output: { model: 'fake-1', message } };
      tell('chunk', { key: s.key, status: 'RUNNING', output: { message: piece } });
    }
    await sleep(stepMs);
    if (cancelled()) return;
    if (s.fail) {
      r.output[s.key] = { ...r.output[s.key], status: 'FAILED', end: Date.now(), error: `step ${s.key} failed` };
      tell('step', r.output[s.key]);
      r.status = 'FAILED';
      r.error = `step ${s.key} failed`;
      r.ended = Date.now();
      tell('run', runView(r));
      return;
    }
    r.output[s.key] = { ...r.output[s.key], status: 'COMPLETED', end: Date.now(), output: r.output[s.key]!['output'] ?? { ok: true, step: s.key } };
    tell('step', r.output[s.key]);
  }
  r.status = 'COMPLETED';
  r.result = result ?? { echo: r.input };
  r.ended = Date.now();
  tell('run', runView(r));
}
