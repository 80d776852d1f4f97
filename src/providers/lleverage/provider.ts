import { FormData } from 'undici';
import { z } from 'zod';
import { WorkflowError } from '../../core/errors.js';
import { idTime, randomHex } from '../../core/random.js';
import type { Logger } from '../../core/log.js';
import { openCopy } from '../../core/objects.js';
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
/** Any answer is the output (built once: a zod schema costs more to build than to check). */
const ANY_ANSWER = z.unknown();

type Field = readonly [name: string, spec: ReturnType<typeof normalizeField>];
/** An endpoint as called: its fields read once, not on every call. */
type Ready = LleverageEndpoint & { client: HttpClient; specs: readonly Field[]; multipart: boolean };

/** Lleverage: each configured endpoint a tool; the call is synchronous, its response the output. */
export class LleverageProvider implements Provider {
  readonly name = 'lleverage';
  readonly capabilities = { listWorkflows: false, versions: false, schema: false, cancel: true, history: false, stream: true, resume: false, replay: false, schedule: false, files: true };
  /** The request lives in this process: a run cut off by a restart cannot be picked up again. */
  readonly runsOutliveProcess = false;
  private readonly calls = new InProcessRuns();
  private readonly endpoints: Map<string, Ready>;

  constructor(private readonly opts: { endpoints: LleverageEndpoint[]; files: FileRules; log: Logger }) {
    this.endpoints = new Map(opts.endpoints.map((e) => {
      const specs = Object.entries(e.fields).map(([name, spec]) => [name, normalizeField(spec)] as const);
      const client = new HttpClient({ provider: 'lleverage', baseUrl: e.url, headers: e.token ? { authorization: `Bearer ${e.token}` } : {}, log: opts.log });
      return [kebabSlug(e.name), { ...e, client, specs, multipart: specs.some(([, f]) => f.type === 'file') }];
    }));
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
    const specs = e.specs;
    let form: FormData | null = null;
    // Lleverage wants every configured field in every call (seed 003): an omitted optional field
    // goes out empty — "" as a multipart text part, null in JSON. An endpoint with a file field
    // is always called as multipart, as its document says.
    if (e.multipart) {
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
    let json: Record<string, unknown> | null = null;
    if (!form) {
      json = openCopy(input);
      for (const [name] of specs) if (json[name] === undefined) json[name] = null;
    }
    const now = new Date().toISOString();
    const run: Run = {
      provider: 'lleverage', workflowId: req.workflow.id, version: 'published', runId: `llv_${idTime(Date.now()).toString(36)}${randomHex(5)}`,
      status: 'running', input: form ? describeInput(input, specs) : input, output: null, error: null, createdAt: now, startedAt: now, endedAt: null,
    };
    const call = this.calls.add(run);
    const body = form ? { form } : { json };
    // Sent now, not on a later turn: with 32 calls arriving together the platform gets each one
    // as it is read, instead of after all of them. Its answer comes on a later turn, when the
    // tracker is watching the run (and a late watcher gets the kept outcome anyway).
    void this.send(call, e, body);
    return { ...run };
  }

  private async send(call: InProcessRun, e: Ready, body: { form: FormData } | { json: unknown }): Promise<void> {
    let update: RunUpdate;
    try {
      const output = await e.client.request({ method: 'POST', path: '', ...body, schema: ANY_ANSWER, accept: 'text', kind: e.idempotent ? 'read' : 'start', what: `call ${e.name}`, signal: call.controller.signal, timeoutMs: CALL_TIMEOUT_MS });
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

/** What the journal keeps of a multipart input: the fields, and each file given as a name only. */
function describeInput(input: Record<string, unknown>, specs: readonly Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = openCopy(input);
  for (const [f, spec] of specs) {
    if (spec.type !== 'file' || input[f] === undefined || input[f] === null) continue;
    out[f] = typeof input[f] === 'string' && !(input[f] as string).startsWith('data:') ? input[f] : '(file content)';
  }
  return out;
}
