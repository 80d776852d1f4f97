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
  /** The state names the structure shows, when they differ from those executions report (contradictory evidence). */
  structureStates?: string[];
  /** Extra connections (from → to) besides the walk through `states`: a branch that is never taken. */
  branches?: Array<[string, string]>;
  output?: unknown;
  /** Hostile knob: `workflow_schema` nests this many `properties` levels deep (sent as text: JSON.stringify cannot). */
  schemaNesting?: number;
}

interface FakeExecution {
  id: string;
  workflow: FakeWorkflow;
  input: unknown;
  created: number;
  /** When its state last changed: `modified_on` in the lists. */
  changed: number;
  /** Index into states; advanced by `advance()`. */
  at: number;
  resumed: boolean;
  terminated: string | null;
  neverEnds: boolean;
}

/** Before the request is handled (nothing happens), or `after` it was (a trigger did start). */
type Failure = { status: number; retryAfter?: string; body?: string } | 'reset' | 'junk' | { after: 'reset' | 'junk' | number };

/**
 * How `workflow_event_log` looks — Looply documents it only as "trimmed down logs": `none` (an
 * empty object, the default), `sfn` (Step-Functions-like entries), `unknown` (names no rule knows).
 */
export type EventLogStyle = 'none' | 'sfn' | 'unknown';

/** Knobs a test sets; each failure is used once, by the next matching request. */
export interface Knobs {
  latencyMs: number;
  failures: Array<{ route: string; failure: Failure }>;
  neverEnds: boolean;
  eventLog: EventLogStyle;
  /** `full`: an execution's `workflow_details` holds steps and connections; `empty`: `{}` (read getWorkflowById instead). */
  details: 'full' | 'empty';
  /** Workflow list pages after the first `afterPages` wait for `release` (a big account read part way). */
  listHold: { afterPages: number; release: Promise<void> } | null;
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
  readonly knobs: Knobs = { latencyMs: 0, failures: [], neverEnds: false, eventLog: 'none', details: 'full', listHold: null };
  now = Date.UTC(2026, 10, 23, 12);
  private seq = 0;
  private sorted: { of: FakeWorkflow[]; rows: FakeWorkflow[] } | null = null;
  protected override readonly basePath = '/v2';


  /** Moves every running execution `steps` states on (not past a wait, nor past the end). */
  advance(steps = 1, ms = 1000): void {
    this.now += ms;
    for (const e of this.executions.values()) {
      if (e.terminated || e.neverEnds) continue;
      for (let i = 0; i < steps; i++) {
        const states = statesOf(e.workflow);
        if (states[e.at] === 'wait_for_response_state' && !e.resumed) break;
        if (e.at < states.length - 1) (e.at++, (e.changed = this.now));
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
    if (req.headers['x-api-key'] !== KEY) return void res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Forbidden' }));
    const i = this.knobs.failures.findIndex((f) => f.route === route);
    let after: 'reset' | 'junk' | number | null = null;
    if (i >= 0) {
      const failure = this.knobs.failures.splice(i, 1)[0]!.failure;
      if (typeof failure === 'object' && 'after' in failure) after = failure.after;
      else if (failure === 'reset') return void req.socket.destroy();
      else if (failure === 'junk') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"item": [truncated');
      else {
        res.writeHead(failure.status, { 'content-type': 'application/json', ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) });
        return void res.end(failure.body ?? JSON.stringify({ message: 'something went wrong' }));
      }
    }
    const send = (status: number, value: unknown): void => {
      if (after === 'reset') return void req.socket.destroy();
      if (after === 'junk') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      if (typeof after === 'number') return void res.writeHead(after, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'something went wrong' }));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    const q = (k: string): string | null => url.searchParams.get(k);
    const json = (): Record<string, unknown> => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
    const parts = url.pathname.replace(/^\/v2\/workflows\//, '').split('/').map(decodeURIComponent);
    switch (`${req.method} ${parts[0]}`) {
      case 'GET getOrganizationWorkflows':
        if (this.knobs.listHold && this.calls[route]! > this.knobs.listHold.afterPages) await this.knobs.listHold.release;
        return send(200, this.pageWorkflows(Number(q('limit') ?? 20), q('workflow_id'), q('workflow_version')));
      case 'GET getWorkflowSchemaById':
      case 'GET getWorkflowById': {
        const w = this.workflows.find((x) => x.workflow_id === q('workflow_id') && String(x.workflow_version) === q('workflow_version'));
        if (!w) return send(404, { message: 'workflow not found' });
        const audit = { created_by: 'test-user', created_on: 1695136500202, modified_by: null, modified_on: 1697642922168 };
        if (parts[0] === 'getWorkflowSchemaById' && w.schemaNesting) {
          const n = w.schemaNesting;
          const schema = `${'{"type":"object","properties":{"a":'.repeat(n)}{"type":"string"}${'}}'.repeat(n)}`;
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(`{"message":"success","item":{"workflow_id":${JSON.stringify(w.workflow_id)},"workflow_version":${w.workflow_version},"workflow_mock_payload":{},"workflow_schema":${schema},"created_by":"u","created_on":${this.now}}}`);
        }
        if (parts[0] === 'getWorkflowSchemaById') return send(200, { message: 'success', item: { workflow_id: w.workflow_id, workflow_version: w.workflow_version, workflow_mock_payload: w.workflow_mock_payload ?? {}, workflow_schema: w.workflow_schema ?? {}, ...audit } });
        // The documented workflow item: steps as { name, type }, connections as { from, to }.
        return send(200, {
          message: 'success',
          item: {
            organization_id: 'org-1', workspace_id: 'ws-1', workflow_id: w.workflow_id, workflow_version: w.workflow_version, workflow_name: w.workflow_name,
            workflow_status: w.workflow_status, workflow_status_version: `${w.workflow_status}_${w.workflow_version}`, latest: String(w.latest), workflow_integrations: {},
            workflow_steps: (w.structureStates ?? statesOf(w)).map((s) => ({ name: s, type: s.includes('wait') ? 'ADAPTIVE_CARD_RESPONSE' : 'TASK' })),
            workflow_connections: edgesOf(w).map(([from, to]) => ({ from, to })), workflow_schema: w.workflow_schema ?? {}, ...audit,
          },
        });
      }
      case 'POST triggerworkflow': {
        const versions = this.workflows.filter((x) => x.workflow_id === parts[1] && x.workflow_status === 'ACTIVE');
        const w = parts[2] ? versions.find((x) => String(x.workflow_version) === parts[2]) : versions.sort((a, b) => b.workflow_version - a.workflow_version)[0];
        if (!w) return send(400, { message: 'incorrect workflow id' });
        this.triggers.push({ profile: q('profile'), body: json() });
        const id = `ex-${(++this.seq).toString().padStart(4, '0')}-${w.workflow_id}`;
        this.executions.set(id, { id, workflow: w, input: json(), created: this.now, changed: this.now, at: 0, resumed: false, terminated: null, neverEnds: this.knobs.neverEnds });
        return send(200, { message: 'success', looply_execution_id: id, ...(q('profile') ? { profile: q('profile') } : {}) });
      }
      case 'GET getWorkflowExecutionById': {
        const e = this.executions.get(q('workflow_execution_id') ?? '');
        if (!e || e.workflow.workflow_id !== q('workflow_id')) return send(404, { message: 'execution not found' });
        return send(200, { message: 'success', item: this.view(e, true) });
      }
      case 'GET getWorkflowExecutionHistory':
        if (!q('workflow_id')) return send(400, { message: 'workflow_id is required' });
        return send(200, this.pageExecutions(Number(q('limit') ?? 20), q('workflow_id'), q('workflow_execution_id') === null ? null : [q('workflow_id')!, q('workflow_execution_id')!]));
      case 'GET getOrganizationExecutions':
        // workflow_id and workflow_execution_id are the lastKey of the page before, not a filter.
        return send(200, this.pageExecutions(Number(q('limit') ?? 20), null, q('workflow_execution_id') === null ? null : [q('workflow_id') ?? '', q('workflow_execution_id')!]));
      case 'POST resumeWorkflow': {
        const e = this.executions.get(parts[1] ?? '');
        if (!e) return send(404, { message: 'execution not found' });
        const states = statesOf(e.workflow);
        if (states[e.at] !== 'wait_for_response_state' || e.resumed || e.terminated) return send(409, { message: 'not found' });
        e.resumed = true;
        e.at = Math.min(e.at + 1, states.length - 1); // the answer moves it past the wait
        e.changed = this.now;
        e.input = { ...(e.input as object), resume: (json()['payload'] as object) ?? {} };
        return send(200, { message: 'success', code: 'WORKFLOW_RESTARTED', data: { workflow_identifier: { workflow_id: e.workflow.workflow_id, workflow_execution_id: e.id } } });
      }
      case 'POST terminateWorkflow': {
        const e = this.executions.get(parts[1] ?? '');
        if (!e) return send(404, { message: 'execution not found' });
        e.terminated = ((json()['payload'] as Record<string, unknown> | undefined)?.['termination_reason'] as string) ?? 'Workflow execution terminated by user.';
        e.changed = this.now;
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

  /**
   * `full`: getWorkflowExecutionById's documented item — no `modified_on`, `workflow_details`
   * with steps ({ id, name, type }) and connections ({ source, target } by step id), or `{}`.
   * Otherwise the list row: `modified_on` and `workflow_details: { workflow_name }`.
   */
  private view(e: FakeExecution, full: boolean): Record<string, unknown> {
    const states = statesOf(e.workflow);
    const ended = e.terminated !== null || e.at === states.length - 1;
    const base = {
      workflow_execution_id: e.id, workflow_id: e.workflow.workflow_id, workflow_version: e.workflow.workflow_version, organization_id: 'org-1', workspace_id: 'ws-1', modified_by: null,
      workflow_current_state: states[e.at], created_on: e.created, workflow_trigger_type: 'REQUEST', workflow_event_log: this.eventLog(e, states, ended),
    };
    if (!full) return { ...base, modified_on: e.changed, workflow_details: { workflow_name: e.workflow.workflow_name } };
    const shown = e.workflow.structureStates ?? states;
    const id = (s: string): string => `st_${shown.indexOf(s)}`;
    const details = this.knobs.details === 'empty' ? {} : {
      workflow_name: e.workflow.workflow_name,
      steps: shown.map((s) => ({ id: id(s), name: s, type: s.includes('wait') ? 'ADAPTIVE_CARD_RESPONSE' : 'TASK' })),
      connections: edgesOf(e.workflow).map(([from, to]) => ({ source: id(from), target: id(to) })),
    };
    return {
      ...base, workflow_details: details, workflow_input_payload: e.input,
      workflow_output_payload: ended && !e.terminated && !states[e.at]!.includes('fail') ? (e.workflow.output ?? { ok: true }) : null,
      condensed_logs: states.slice(0, e.at + 1).map((s, i) => ({ state: s, key: String(i) })),
    };
  }

  private eventLog(e: FakeExecution, states: string[], ended: boolean): unknown {
    if (this.knobs.eventLog === 'none') return {};
    if (this.knobs.eventLog === 'unknown') return { entries: [...states.slice(0, e.at + 1).map((s) => ({ event: 'STATE_ENTERED', name: s })), ...(ended ? [{ event: e.terminated ? 'WORKFLOW_STOPPED' : 'WORKFLOW_END' }] : [])] };
    const event = e.terminated ? 'ExecutionAborted' : ended ? (states[e.at]!.includes('fail') ? 'ExecutionFailed' : 'ExecutionSucceeded') : null;
    return event ? [{ type: 'ExecutionStarted' }, { type: event }] : [{ type: 'ExecutionStarted' }];
  }

  private pageWorkflows(limit: number, afterId: string | null, afterVersion: string | null): Record<string, unknown> {
    // Sorted once per change of the list: 10,000 workflows are read in 334 pages.
    const same = this.sorted && this.sorted.of.length === this.workflows.length && this.workflows.every((w, i) => w === this.sorted!.of[i]);
    if (!same) this.sorted = { of: [...this.workflows], rows: [...this.workflows].sort((a, b) => a.workflow_id.localeCompare(b.workflow_id) || a.workflow_version - b.workflow_version) };
    const rows = this.sorted!.rows;
    const start = afterId ? rows.findIndex((r) => r.workflow_id === afterId && String(r.workflow_version) === afterVersion) + 1 : 0;
    const page = rows.slice(start, start + Math.min(limit, 30));
    const last = page[page.length - 1];
    return {
      message: 'success', count: page.length,
      items: page.map((w) => ({ workflow_id: w.workflow_id, workflow_name: w.workflow_name, workflow_status: w.workflow_status, workflow_status_version: `${w.workflow_status}_${w.workflow_version}`, latest: String(w.latest), created_by: 'u' })),
      ...(start + page.length < rows.length && last ? { lastKey: { organization_id: 'org-1', workflow_id: last.workflow_id, workflow_version: last.workflow_version } } : {}),
    };
  }

  private pageExecutions(limit: number, workflowId: string | null, after: [string, string] | null): Record<string, unknown> {
    const rows = [...this.executions.values()].filter((e) => !workflowId || e.workflow.workflow_id === workflowId).sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
    const start = after ? rows.findIndex((r) => r.workflow.workflow_id === after[0] && r.id === after[1]) + 1 : 0;
    const page = rows.slice(start, start + Math.min(limit, 30));
    const last = page[page.length - 1];
    return {
      message: 'success', count: page.length, items: page.map((e) => this.view(e, false)),
      ...(start + page.length < rows.length && last ? { lastKey: { workflow_id: last.workflow.workflow_id, workflow_execution_id: last.id } } : {}),
    };
  }
}

function statesOf(w: FakeWorkflow): string[] {
  return w.states ?? DEFAULT_STATES;
}

/** The walk through the states, plus any branches. */
function edgesOf(w: FakeWorkflow): Array<[string, string]> {
  const states = w.structureStates ?? statesOf(w);
  return [...states.slice(1).map((s, i): [string, string] => [states[i]!, s]), ...(w.branches ?? [])];
}
