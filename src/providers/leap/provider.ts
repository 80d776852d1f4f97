import type { Logger } from '../../core/log.js';
import { ProviderError } from '../../http/errors.js';
import type { CancelOutcome, CatalogListing, DoctorCheck, JSONSchema, Provider, Run, RunStatus, RunUpdate, StartRequest, Workflow } from '../types.js';
import { LeapClient } from './client.js';
import { toRun } from './map.js';
import { MemoryWebhookTokens, type WebhookTokens } from '../webhook-tokens.js';

export interface LeapWorkflowConfig {
  id: string;
  name?: string | undefined;
  description?: string | undefined;
  inputSchema?: Record<string, unknown> | undefined;
  triggerId?: string | undefined;
}

export interface LeapProviderOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  workflows: LeapWorkflowConfig[];
  log: Logger;
  /** Where Leap can reach our webhook receiver: `<base>/webhooks/leap/<token>`; none = poll only. */
  webhookBase?: string | undefined;
  /** Where the per-run webhook tokens are kept (shared by replicas, or this process's own). */
  tokens?: WebhookTokens | undefined;
  client?: LeapClient;
}

const OPEN: JSONSchema = { type: 'object', additionalProperties: true };
export const VERSION_KEY = 'published';

/** Leap: configured workflows as tools; runs polled, or woken by a per-run single-use webhook. */
export class LeapProvider implements Provider {
  readonly name = 'leap';
  readonly capabilities = { listWorkflows: false, versions: false, schema: false, cancel: false, history: false, stream: false, resume: false, replay: false, schedule: false, files: false };
  readonly runsOutliveProcess = true;
  /** With webhooks, polling is only the fallback for a lost webhook: slow. */
  readonly pollSchedule: { firstMs: number; factor: number; capMs: number; waitingMs: number };
  private readonly client: LeapClient;
  /** token → run id (bound once the start returns); single-use. */
  private readonly tokens: WebhookTokens;

  constructor(private readonly opts: LeapProviderOptions) {
    this.tokens = opts.tokens ?? new MemoryWebhookTokens();
    this.client = opts.client ?? new LeapClient({ apiKey: opts.apiKey, baseUrl: opts.baseUrl, log: opts.log });
    this.pollSchedule = opts.webhookBase ? { firstMs: 3000, factor: 1.5, capMs: 30_000, waitingMs: 60_000 } : { firstMs: 1000, factor: 1.5, capMs: 10_000, waitingMs: 60_000 };
  }

  async listWorkflows(): Promise<CatalogListing> {
    const workflows: Workflow[] = this.opts.workflows.map((w) => ({
      provider: 'leap', id: w.id, name: w.name ?? w.id, latest: VERSION_KEY,
      ...(w.description ? { description: w.description } : {}),
      versions: [{ key: VERSION_KEY, inputSchema: w.inputSchema ?? OPEN, ...(w.inputSchema ? {} : { note: 'Leap publishes no input schema and none is configured, so any input object is accepted; Leap checks it when the run starts.' }) }],
    }));
    return { workflows, problems: [] };
  }

  async start(req: StartRequest): Promise<Run> {
    const conf = this.opts.workflows.find((w) => w.id === req.workflow.id);
    let token: string | undefined;
    if (this.opts.webhookBase) token = await this.tokens.issue('leap');
    const webhookUrl = token ? `${this.opts.webhookBase!.replace(/\/+$/, '')}/webhooks/leap/${token}` : undefined;
    try {
      const r = await this.client.start(req.workflow.id, req.input, { webhookUrl, triggerId: conf?.triggerId, signal: req.signal });
      if (token) await this.tokens.bind(token, r.id);
      return toRun(r, req.workflow.id, req.input);
    } catch (err) {
      if (token) await this.tokens.drop(token);
      throw err;
    }
  }

  /** The body of a webhook is never trusted: it only makes the tracker read the run now. */
  acceptWebhook(token: string): Promise<string | null> {
    return this.tokens.take('leap', token);
  }

  async poll(run: Run, signal: AbortSignal): Promise<RunUpdate & { status: RunStatus }> {
    const mapped = toRun(await this.client.get(run.workflowId, run.runId, signal), run.workflowId, run.input);
    return { status: mapped.status, output: mapped.output, error: mapped.error, startedAt: mapped.startedAt, endedAt: mapped.endedAt, raw: mapped.raw };
  }

  async cancel(): Promise<CancelOutcome> {
    return { accepted: false, note: 'Leap cannot cancel runs; the run goes on and is watched to its real end' };
  }

  async check(): Promise<DoctorCheck[]> {
    try {
      await this.client.get('wkf_check', 'rnp_workflows_mcp_check');
      return [{ name: 'leap', ok: true, message: 'reachable' }];
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return [{ name: 'leap', ok: true, message: `API key accepted; ${this.opts.workflows.length} workflows configured` }];
      if (err instanceof ProviderError && err.status === 401) return [{ name: 'leap', ok: false, message: 'the Leap API key was refused (401); check LEAP_API_KEY' }];
      return [{ name: 'leap', ok: false, message: `Leap is not reachable: ${(err as Error).message}` }];
    }
  }

  async close(): Promise<void> {}
}
