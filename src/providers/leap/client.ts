import { HttpClient, type HttpClientOptions } from '../../http/client.js';
import { generationOf } from './map.js';
import { LeapRun } from './wire.js';

export const LEAP_DEFAULT_BASE_URL = 'https://api.workflows.tryleap.ai';

/** Leap's run endpoints (providers.md §1): start and read, v1 or v2 by the workflow's id. */
export class LeapClient {
  private readonly http: HttpClient;

  constructor(opts: Omit<HttpClientOptions, 'provider' | 'headers' | 'baseUrl'> & { apiKey: string; baseUrl?: string | undefined }) {
    const { apiKey, baseUrl, ...rest } = opts;
    this.http = new HttpClient({ ...rest, provider: 'leap', baseUrl: baseUrl ?? LEAP_DEFAULT_BASE_URL, headers: { 'x-api-key': apiKey } });
  }

  /** Starts one run (any 2xx). Never repeated once it may have arrived. */
  start(workflowId: string, input: unknown, opts: { webhookUrl?: string | undefined; triggerId?: string | undefined; signal?: AbortSignal | undefined } = {}) {
    const json = { workflow_id: workflowId, input: input ?? {}, ...(opts.webhookUrl ? { webhook_url: opts.webhookUrl } : {}), ...(opts.triggerId ? { trigger_id: opts.triggerId } : {}) };
    return this.http.request({ method: 'POST', path: `/${generationOf(workflowId)}/runs`, json, schema: LeapRun, kind: 'start', what: `start workflow ${workflowId}`, signal: opts.signal });
  }

  get(workflowId: string, runId: string, signal?: AbortSignal) {
    const gen = runId.startsWith('runv2_') ? 'v2' : generationOf(workflowId);
    return this.http.request({ method: 'GET', path: `/${gen}/runs/${encodeURIComponent(runId)}`, schema: LeapRun, kind: 'read', what: `read run ${runId}`, signal });
  }
}
