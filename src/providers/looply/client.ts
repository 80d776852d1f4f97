import { HttpClient, type HttpClientOptions } from '../../http/client.js';
import * as W from './wire.js';

export const LOOPLY_DEFAULT_BASE_URL = 'https://api.looply.io/v2';
export const PAGE_LIMIT = 30;

export interface LooplyClientOptions extends Omit<HttpClientOptions, 'provider' | 'headers' | 'baseUrl'> {
  apiKey: string;
  baseUrl?: string | undefined;
}

type Key = Record<string, string | number>;

/** The ten Looply endpoints of providers.md §4, over the shared pipeline (header `x-api-key`). */
export class LooplyClient {
  private readonly http: HttpClient;

  constructor(opts: LooplyClientOptions) {
    const { apiKey, baseUrl, ...rest } = opts;
    this.http = new HttpClient({ ...rest, provider: 'looply', baseUrl: `${(baseUrl ?? LOOPLY_DEFAULT_BASE_URL).replace(/\/+$/, '')}/workflows`, headers: { 'x-api-key': apiKey } });
  }

  /** One page of workflow rows (one per version); pass `lastKey` back for the next. */
  listWorkflows(lastKey?: Key, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: 'getOrganizationWorkflows', query: { limit: PAGE_LIMIT, ...lastKey }, schema: W.WorkflowPage, kind: 'read', what: 'list workflows', signal });
  }

  getWorkflow(workflowId: string, version: number, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: 'getWorkflowById', query: { workflow_id: workflowId, workflow_version: version }, schema: W.WorkflowResponse, kind: 'read', what: `read workflow ${workflowId} v${version}`, signal });
  }

  getSchema(workflowId: string, version: number, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: 'getWorkflowSchemaById', query: { workflow_id: workflowId, workflow_version: version }, schema: W.SchemaResponse, kind: 'read', what: `read the schema of ${workflowId} v${version}`, signal });
  }

  /** Starts one execution. Never repeated once it may have arrived (kind 'start'). */
  trigger(workflowId: string, version: number | undefined, payload: unknown, opts: { profile?: string | undefined; signal?: AbortSignal | undefined } = {}) {
    const path = `triggerworkflow/${encodeURIComponent(workflowId)}${version === undefined ? '' : `/${version}`}`;
    return this.http.request({ method: 'POST', path, query: { profile: opts.profile }, json: payload ?? {}, schema: W.TriggerResponse, kind: 'start', what: `trigger workflow ${workflowId}`, signal: opts.signal });
  }

  getExecution(workflowId: string, executionId: string, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: 'getWorkflowExecutionById', query: { workflow_id: workflowId, workflow_execution_id: executionId }, schema: W.ExecutionResponse, kind: 'read', what: `read execution ${executionId}`, signal });
  }

  executionHistory(workflowId: string, lastKey?: Key, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: 'getWorkflowExecutionHistory', query: { workflow_id: workflowId, limit: PAGE_LIMIT, ...lastKey }, schema: W.ExecutionPage, kind: 'read', what: `read the history of ${workflowId}`, signal });
  }

  organizationExecutions(lastKey?: Key, signal?: AbortSignal) {
    return this.http.request({ method: 'GET', path: 'getOrganizationExecutions', query: { limit: PAGE_LIMIT, ...lastKey }, schema: W.ExecutionPage, kind: 'read', what: 'read recent executions', signal });
  }

  resume(processId: string, payload: Record<string, unknown>, source: 'SAP' | 'TEAMS') {
    // Resuming moves a waiting run on: like a start, it is not repeated once it may have arrived.
    return this.http.request({ method: 'POST', path: `resumeWorkflow/${encodeURIComponent(processId)}`, json: { payload: { ...payload, source } }, schema: W.ResumeResponse, kind: 'start', what: `resume execution ${processId}` });
  }

  terminate(processId: string, reason: string) {
    return this.http.request({ method: 'POST', path: `terminateWorkflow/${encodeURIComponent(processId)}`, json: { payload: { termination_reason: reason } }, schema: W.TerminateResponse, kind: 'read', what: `terminate execution ${processId}` });
  }

  toggleSchedule(workflowId: string, version: number, action: 'PAUSE' | 'PLAY') {
    return this.http.request({ method: 'POST', path: 'toggleScheduledWorkflow', json: { workflow_id: workflowId, workflow_version: version, action }, schema: W.ToggleResponse, kind: 'read', what: `${action === 'PAUSE' ? 'pause' : 'resume'} the schedule of ${workflowId} v${version}` });
  }
}
