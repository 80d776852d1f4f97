import { FormData } from 'undici';
import { z } from 'zod';
import { WorkflowError } from '../../core/errors.js';
import { randomHex } from '../../core/random.js';
import type { Logger } from '../../core/log.js';
import { HttpClient } from '../../http/client.js';
import { ProviderError } from '../../http/errors.js';
import { kebabSlug } from '../../core/slug.js';
import type { CancelOutcome, CatalogListing, DoctorCheck, Provider, Run, RunUpdate, StartRequest } from '../types.js';
import { InProcessRuns, type InProcessRun } from '../in-process.js';
import { fileFor, type FileRules } from '../files.js';
import { normalizeField, schemaOfFields, type FieldSpec } from './schema.js';

export interface LleverageEndpoint {
  name: string;
  url: string;
  description?: string | undefined;
  token?: string | undefined;
  /** Marked safe to repeat by the user: a start is then retried on 5xx and network errors. */
  idempotent?: boolean | undefined;
  fields: Record<string, FieldSpec>;
}

const CALL_TIMEOUT_MS = 15 * 60_000;

/** Lleverage: each configured endpoint a tool; the call is synchronous, its response the output. */
export class LleverageProvider implements Provider {
  readonly name = 'lleverage';
  readonly capabilities = { listWorkflows: false, versions: false, schema: false, cancel: true, history: false, stream: true, resume: false, replay: false, schedule: false, files: true };
  /** The request lives in this process: a run cut off by a restart cannot be picked up again. */
  readonly runsOutliveProcess = false;
  private readonly calls = new InProcessRuns();
  private readonly endpoints: Map<string, LleverageEndpoint & { client: HttpClient }>;

  constructor(private readonly opts: { endpoints: LleverageEndpoint[]; files: FileRules; log: Logger }) {
    this.endpoints = new Map(opts.endpoints.map((e) => [kebabSlug(e.name), { ...e, client: new HttpClient({ provider: 'lleverage', baseUrl: e.url, headers: e.token ? { authorization: `Bearer ${e.token}` } : {}, log: opts.log }) }]));
  }

  async listWorkflows(): Promise<CatalogListing> {
    const workflows = [...this.endpoints.entries()].map(([id, e]) => ({
      provider: 'lleverage', id, name: e.name, latest: 'published', ...(e.description ? { description: e.description } : {}),
      versions: [{ key: 'published', inputSchema: schemaOfFields(e.fields) }],
    }));
    return { workflows, problems: [] };
  }

  /** Files are resolved and size-checked here, before the run exists: a bad path uploads nothing. */
  async start(req: StartRequest): Promise<Run> {
    const e = this.endpoints.get(req.workflow.id);
    if (!e) throw new WorkflowError('not_found', `No Lleverage endpoint "${req.workflow.id}" is configured; list the tools again.`);
    const input = (req.input ?? {}) as Record<string, unknown>;
    const specs = Object.entries(e.fields).map(([name, spec]) => [name, normalizeField(spec)] as const);
    const fileFields = specs.filter(([name, f]) => f.type === 'file' && input[name] !== undefined && input[name] !== null);
    let form: FormData | null = null;
    // Lleverage wants every configured field in every call (seed 003): an omitted optional field
    // goes out empty — "" as a multipart text part, null in JSON. An endpoint with a file field
    // is always called as multipart, as its document says.
    if (specs.some(([, f]) => f.type === 'file')) {
      form = new FormData();
      for (const [name, f] of specs) {
        const value = input[name];
        if (value === undefined || value === null) form.append(name, '');
        else if (f.type !== 'file') form.append(name, String(value));
        else {
          // The client's roots, when it offers them, say which folders it shares.
          const part = await fileFor(name, value, req.fileRoots ? { ...this.opts.files, roots: req.fileRoots } : this.opts.files);
          form.append(name, part.blob as never, part.filename);
        }
      }
    }
    const json: Record<string, unknown> = { ...input };
    for (const [name] of specs) if (json[name] === undefined) json[name] = null;
    const now = new Date().toISOString();
    const run: Run = {
      provider: 'lleverage', workflowId: req.workflow.id, version: 'published', runId: `llv_${Date.now().toString(36)}${randomHex(5)}`,
      status: 'running', input: form ? describeInput(input, fileFields.map(([n]) => n)) : input, output: null, error: null, createdAt: now, startedAt: now, endedAt: null,
    };
    const call = this.calls.add(run);
    setImmediate(() => void this.send(call, e, form ? { form } : { json }));
    return { ...run };
  }

  private async send(call: InProcessRun, e: LleverageEndpoint & { client: HttpClient }, body: { form: FormData } | { json: unknown }): Promise<void> {
    let update: RunUpdate;
    try {
      const output = await e.client.request({ method: 'POST', path: '', ...body, schema: z.unknown(), accept: 'text', kind: e.idempotent ? 'read' : 'start', what: `call ${e.name}`, signal: call.controller.signal, timeoutMs: CALL_TIMEOUT_MS });
      update = { status: 'completed', output, error: null };
    } catch (err) {
      const aborted = call.controller.signal.aborted;
      const message = err instanceof ProviderError && err.status === 413 ? `${e.name} refused the upload as too large (413); send a smaller file.` : (err as Error).message;
      update = aborted ? { status: 'cancelled', error: 'cancelled: the request was aborted; Lleverage may still finish the run on its side' } : { status: 'failed', error: message };
    }
    this.calls.finish(call, update, new Date().toISOString());
  }

  observe(run: Run, onUpdate: (u: RunUpdate) => void, signal: AbortSignal): Promise<void> {
    return this.calls.observe(run.runId, onUpdate, signal, () => new Date().toISOString());
  }

  async cancel(run: Run): Promise<CancelOutcome> {
    return this.calls.abort(run.runId) ? { accepted: true } : { accepted: false, note: 'the call is not in progress in this server' };
  }

  async check(): Promise<DoctorCheck[]> {
    return [{ name: 'lleverage', ok: this.endpoints.size > 0, message: this.endpoints.size ? `${this.endpoints.size} endpoints configured (not called: each call is a real run)` : 'no endpoints configured' }];
  }

  async close(): Promise<void> {
    this.calls.abortAll();
  }
}

/** What the journal keeps of a multipart input: the fields, and each file as a name only. */
function describeInput(input: Record<string, unknown>, files: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const f of files) out[f] = typeof input[f] === 'string' && !(input[f] as string).startsWith('data:') ? input[f] : '(file content)';
  return out;
}
