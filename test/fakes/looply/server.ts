import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeServer } from '../listen.js';

/** A Looply workflow version as the fake holds it. */
export interface FakeWorkflow {
  workflow_id: string;
  workflow_name: string;
  workflow_version: number;
  workflow_status: 'ACTIVE' | 'DRAFT';
  latest: boolean;
  workflow_schema?: unknown;
  workflow_mock_payload?: unknown;
  /** The state names an execution walks through; `wait_for_response_state` parks until resumed. */
  states?: string[];
  output?: unknown;
  /** Hostile knob: `workflow_schema` nests this many `properties` levels deep (sent as text: JSON.stringify cannot). */
  schemaNesting?: number;
}

interface FakeExecution {
  id: string;
  workflow: FakeWorkflow;
  input: unknown;
  created: number;
  /** Index into states; advanced by `advance()`. */
  at: number;
  resumed: boolean;
  terminated: string | null;
  neverEnds: boolean;
}

type Failure = { status: number; retryAfter?: string; body?: string } | 'reset' | 'junk';

/** Knobs a test sets; each failure is used once, by the next matching request. */
export interface Knobs {
  latencyMs: number;
  failures: Array<{ route: string; failure: Failure }>;
  neverEnds: boolean;
}

const KEY = 'looply-test-key-0123456789';
const DEFAULT_STATES = ['start_state', 'enrich_state', 'end'];

/**
 * The ten routes of providers.md §4 at /v2/workflows/…: 403 without the key, `{message}`
 * errors, lastKey paging capped at 30, executions on a clock the test moves. Anything else is
 * recorded in `unexpected` (tests assert it stays empty) and answered 500.
 */
export class FakeLooply extends FakeServer {
  readonly key = KEY;
  readonly workflows: FakeWorkflow[] = [];
  readonly executions = new Map<string, FakeExecution>();
  readonly unexpected: string[] = [];
  readonly calls: Record<string, number> = {};
  /** Every trigger as received: the query profile and the body. */
  readonly triggers: Array<{ profile: string | null; body: unknown }> = [];
  readonly knobs: Knobs = { latencyMs: 0, failures: [], neverEnds: false };
  now = Date.UTC(2026, 10, 23, 12);
  private seq = 0;
  protected override readonly basePath = '/v2';


  /** Moves every running execution `steps` states on (not past a wait, nor past the end). */
  advance(steps = 1, ms = 1000): void {
    this.now += ms;
    for (const e of this.executions.values()) {
      if (e.terminated || e.neverEnds) continue;
      for (let i = 0; i < steps; i++) {
        const states = e.workflow.states ?? DEFAULT_STATES;
        if (states[e.at] === 'wait_for_response_state' && !e.resumed) break;
        if (e.at < states.length - 1) e.at++;
      }
    }
  }

  fail(route: string, failure: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.knobs.failures.push({ route, failure });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await new Promise<string>((r) => {
      let s = '';
      req.on('data', (d: Buffer) => (s += d.toString()));
      req.on('end', () => r(s));
    });
    const route = `${req.method} ${url.pathname.replace(/^\/v2\/workflows\//, '').split('/')[0]}`;
    this.calls[route] = (this.calls[route] ?? 0) + 1;
    if (this.knobs.latencyMs) await new Promise((r) => setTimeout(r, this.knobs.latencyMs));
    const send = (status: number, value: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (req.headers['x-api-key'] !== KEY) return send(403, { message: 'Forbidden' });
    const i = this.knobs.failures.findIndex((f) => f.route === route);
    if (i >= 0) {
      const failure = this.knobs.failures.splice(i, 1)[0]!.failure;
      if (failure === 'reset') return void req.socket.destroy();
      if (failure === 'junk') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"item": [truncated');
      res.writeHead(failure.status, { 'content-type': 'application/json', ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) });
      return void res.end(failure.body ?? JSON.stringify({ message: 'something went wrong' }));
    }
    const q = (k: string): string | null => url.searchParams.get(k);
    const json = (): Record<string, unknown> => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
    const parts = url.pathname.replace(/^\/v2\/workflows\//, '').split('/').map(decodeURIComponent);
    switch (`${req.method} ${parts[0]}`) {
      case 'GET getOrganizationWorkflows':
        return send(200, this.pageWorkflows(Number(q('limit') ?? 20), q('workflow_id'), q('workflow_version')));
      case 'GET getWorkflowSchemaById':
      case 'GET getWorkflowById': {
        const w = this.workflows.find((x) => x.workflow_id === q('workflow_id') && String(x.workflow_version) === q('workflow_version'));
        if (!w) return send(404, { message: 'workflow not found' });
        if (w.schemaNesting) {
          const n = w.schemaNesting;
          const schema = `${'{"type":"object","properties":{"a":'.repeat(n)}{"type":"string"}${'}}'.repeat(n)}`;
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(`{"message":"success","item":{"workflow_id":${JSON.stringify(w.workflow_id)},"workflow_version":${w.workflow_version},"workflow_mock_payload":{},"workflow_schema":${schema},"created_by":"u","created_on":${this.now}}}`);
        }
        return send(200, { message: 'success', item: { workflow_id: w.workflow_id, workflow_version: w.workflow_version, workflow_mock_payload: w.workflow_mock_payload ?? {}, workflow_schema: w.workflow_schema ?? {}, created_by: 'u', created_on: this.now } });
      }
      case 'POST triggerworkflow': {
        const versions = this.workflows.filter((x) => x.workflow_id === parts[1] && x.workflow_status === 'ACTIVE');
        const w = parts[2] ? versions.find((x) => String(x.workflow_version) === parts[2]) : versions.sort((a, b) => b.workflow_version - a.workflow_version)[0];
        if (!w) return send(400, { message: 'incorrect workflow id' });
        this.triggers.push({ profile: q('profile'), body: json() });
        const id = `ex-${(++this.seq).toString().padStart(4, '0')}-${w.workflow_id}`;
        this.executions.set(id, { id, workflow: w, input: json(), created: this.now, at: 0, resumed: false, terminated: null, neverEnds: this.knobs.neverEnds });
        return send(200, { message: 'success', looply_execution_id: id, ...(q('profile') ? { profile: q('profile') } : {}) });
      }
      case 'GET getWorkflowExecutionById': {
        const e = this.executions.get(q('workflow_execution_id') ?? '');
        if (!e || e.workflow.workflow_id !== q('workflow_id')) return send(404, { message: 'execution not found' });
        return send(200, { message: 'success', item: this.view(e, true) });
      }
      case 'GET getWorkflowExecutionHistory':
      case 'GET getOrganizationExecutions':
        return send(200, this.pageExecutions(Number(q('limit') ?? 20), q('workflow_id'), q('workflow_execution_id')));
      case 'POST resumeWorkflow': {
        const e = this.executions.get(parts[1] ?? '');
        if (!e) return send(404, { message: 'execution not found' });
        const states = e.workflow.states ?? DEFAULT_STATES;
        if (states[e.at] !== 'wait_for_response_state' || e.resumed || e.terminated) return send(409, { message: 'not found' });
        e.resumed = true;
        e.at = Math.min(e.at + 1, states.length - 1); // the answer moves it past the wait
        e.input = { ...(e.input as object), resume: (json()['payload'] as object) ?? {} };
        return send(200, { message: 'success', code: 'WORKFLOW_RESTARTED', data: { workflow_identifier: { workflow_id: e.workflow.workflow_id, workflow_execution_id: e.id } } });
      }
      case 'POST terminateWorkflow': {
        const e = this.executions.get(parts[1] ?? '');
        if (!e) return send(404, { message: 'execution not found' });
        e.terminated = ((json()['payload'] as Record<string, unknown> | undefined)?.['termination_reason'] as string) ?? 'Workflow execution terminated by user.';
        return send(200, { message: 'terminated' });
      }
      case 'POST toggleScheduledWorkflow': {
        const b = json();
        const w = this.workflows.find((x) => x.workflow_id === b['workflow_id'] && x.workflow_version === b['workflow_version']);
        if (!w || (b['action'] !== 'PAUSE' && b['action'] !== 'PLAY')) return send(400, { message: 'invalid request' });
        return send(200, { message: 'success', workflow_id: w.workflow_id, workflow_version: w.workflow_version, status: b['action'] === 'PAUSE' ? 'PAUSED' : 'ACTIVE' });
      }
      default:
        this.unexpected.push(`${req.method} ${req.url}`);
        return send(500, { message: `the fake does not expect ${req.method} ${url.pathname}` });
    }
  }

  private view(e: FakeExecution, full: boolean): Record<string, unknown> {
    const states = e.workflow.states ?? DEFAULT_STATES;
    const ended = e.terminated !== null || e.at === states.length - 1;
    const event = e.terminated ? 'ExecutionAborted' : ended ? (states[e.at]!.includes('fail') ? 'ExecutionFailed' : 'ExecutionSucceeded') : null;
    return {
      workflow_execution_id: e.id, workflow_id: e.workflow.workflow_id, workflow_version: e.workflow.workflow_version, organization_id: 'org-1',
      workflow_current_state: states[e.at], created_on: e.created, modified_on: this.now, workflow_trigger_type: 'REQUEST',
      workflow_event_log: event ? [{ type: 'ExecutionStarted' }, { type: event }] : [{ type: 'ExecutionStarted' }],
      workflow_details: { workflow_name: e.workflow.workflow_name },
      ...(full ? { workflow_input_payload: e.input, workflow_output_payload: ended && !e.terminated ? (e.workflow.output ?? { ok: true }) : null, condensed_logs: states.slice(0, e.at + 1).map((s, i) => ({ state: s, key: String(i) })) } : {}),
    };
  }

  private pageWorkflows(limit: number, afterId: string | null, afterVersion: string | null): Record<string, unknown> {
    const rows = [...this.workflows].sort((a, b) => a.workflow_id.localeCompare(b.workflow_id) || a.workflow_version - b.workflow_version);
    const start = afterId ? rows.findIndex((r) => r.workflow_id === afterId && String(r.workflow_version) === afterVersion) + 1 : 0;
    const page = rows.slice(start, start + Math.min(limit, 30));
    const last = page[page.length - 1];
    return {
      message: 'success', count: page.length,
      items: page.map((w) => ({ workflow_id: w.workflow_id, workflow_name: w.workflow_name, workflow_status: w.workflow_status, workflow_status_version: `${w.workflow_status}_${w.workflow_version}`, latest: String(w.latest), created_by: 'u' })),
      ...(start + page.length < rows.length && last ? { lastKey: { organization_id: 'org-1', workflow_id: last.workflow_id, workflow_version: last.workflow_version } } : {}),
    };
  }

  private pageExecutions(limit: number, workflowId: string | null, afterId: string | null): Record<string, unknown> {
    const rows = [...this.executions.values()].filter((e) => !workflowId || e.workflow.workflow_id === workflowId).sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
    const start = afterId ? rows.findIndex((r) => r.id === afterId) + 1 : 0;
    const page = rows.slice(start, start + Math.min(limit, 30));
    const last = page[page.length - 1];
    return {
      message: 'success', count: page.length, items: page.map((e) => this.view(e, false)),
      ...(start + page.length < rows.length && last ? { lastKey: { workflow_id: last.workflow.workflow_id, workflow_execution_id: last.id } } : {}),
    };
  }
}
