import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeServer } from '../listen.js';

interface FakeRun {
  id: string;
  workflow_id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  input: unknown;
  webhook_url: string | null;
  created_at: string;
  ended_at: string | null;
}

export type WebhookMode = 'normal' | 'never' | 'twice' | 'early' | 'forged';

/**
 * Leap's run API (providers.md §1): POST /v1|v2/runs (201; `input` or `inputs`), GET …/runs/:id,
 * X-Api-Key → 401. Runs go queued → running → completed/failed on `advance()`; at the end the
 * run is POSTed to its webhook_url, as the knob says. Unexpected requests are recorded.
 */
export class FakeLeap extends FakeServer {
  readonly key = 'le_test_key_0123456789';
  readonly runs = new Map<string, FakeRun>();
  readonly unexpected: string[] = [];
  readonly starts: Array<{ body: Record<string, unknown> }> = [];
  webhook: WebhookMode = 'normal';
  /** Workflows whose runs fail. */
  readonly failing = new Set<string>();
  private seq = 0;


  /** One step for every unfinished run: queued → running → completed (or failed). */
  async advance(): Promise<void> {
    for (const r of this.runs.values()) {
      if (r.status === 'queued') {
        r.status = 'running';
        if (this.webhook === 'early' || this.webhook === 'forged') await this.deliver(r, this.webhook === 'forged' ? { ...this.view(r), status: 'completed', output: { forged: true } } : this.view(r));
      } else if (r.status === 'running') {
        r.status = this.failing.has(r.workflow_id) ? 'failed' : 'completed';
        r.ended_at = new Date().toISOString();
        if (this.webhook === 'normal' || this.webhook === 'twice') await this.deliver(r, this.view(r));
        if (this.webhook === 'twice') await this.deliver(r, this.view(r));
      }
    }
  }

  /** What the webhook POSTs answered, for assertions. */
  readonly deliveries: number[] = [];

  private async deliver(r: FakeRun, body: unknown): Promise<void> {
    if (!r.webhook_url) return;
    try {
      const res = await fetch(r.webhook_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      this.deliveries.push(res.status);
    } catch {
      this.deliveries.push(0);
    }
  }

  /** v1: the ten fields of WorkflowRunSchema. v2: only what its document shows — `result`, no input, output or start/end times. */
  private view(r: FakeRun): Record<string, unknown> {
    const error = r.status === 'failed' ? 'missing variable "topic"' : null;
    const answer = r.status === 'completed' ? { summary: `done ${r.id}` } : null;
    if (r.id.startsWith('runv2_')) return { id: r.id, version_id: 'vsp_0123456789abcd', workflow_id: r.workflow_id, status: r.status, created_at: r.created_at, error, result: answer };
    return {
      id: r.id, version_id: 'vsp_0123456789abcd', status: r.status, created_at: r.created_at, started_at: r.created_at, ended_at: r.ended_at,
      workflow_id: r.workflow_id, error, input: r.input, output: answer,
    };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const send = (status: number, value: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (req.headers['x-api-key'] !== this.key) return send(401, { statusCode: 401, message: 'Unauthorized' });
    const m = /^\/(v1|v2)\/runs(?:\/([^/]+))?$/.exec(req.url ?? '');
    if (m && req.method === 'POST' && !m[2]) {
      const b = JSON.parse(body || '{}') as Record<string, unknown>;
      this.starts.push({ body: b });
      if (typeof b['workflow_id'] !== 'string') return send(400, { statusCode: 400, message: 'workflow_id must be a string' });
      const id = `${m[1] === 'v2' ? 'runv2_' : 'rnp_'}${String(++this.seq).padStart(18, '0')}`;
      const run: FakeRun = { id, workflow_id: b['workflow_id'], status: 'queued', input: b['input'] ?? b['inputs'] ?? {}, webhook_url: (b['webhook_url'] as string) ?? null, created_at: new Date().toISOString(), ended_at: null };
      this.runs.set(id, run);
      return send(201, this.view(run));
    }
    if (m && req.method === 'GET' && m[2]) {
      const run = this.runs.get(decodeURIComponent(m[2]));
      return run ? send(200, this.view(run)) : send(404, { statusCode: 404, message: 'Workflow run not found' });
    }
    this.unexpected.push(`${req.method} ${req.url}`);
    send(500, { message: 'unexpected request' });
  }
}
