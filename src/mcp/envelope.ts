import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createHash } from 'node:crypto';
import { clip, cutUtf8, isPlainObject, JSON_DEPTH_MAX, jsonBytes, jsonHead, measureJson, stableStringify, STRINGIFY_DEPTH_SAFE, truncatedJson } from '../core/json.js';
import { RUN_STATUSES, type Run } from '../providers/types.js';

export const OUTPUT_TEXT_MAX = 100 * 1024;
/** The most of a run's output one tool result carries in `structuredContent` (the message cap is 8 MB). */
export const OUTPUT_STRUCTURED_MAX = 1024 * 1024;
/** Per run in lists (list_runs, a workflow's run history): up to 100 of them share one message. */
export const OUTPUT_LISTED_MAX = 16 * 1024;
/** The most of a run's output the run resource shows. */
export const OUTPUT_RESOURCE_MAX = 4 * 1024 * 1024;
const ERROR_MAX = 8 * 1024;

/** The run envelope: every workflow tool's `structuredContent`, whatever the run's state. */
export interface RunEnvelope {
  [key: string]: unknown;
  run_id: string;
  provider: string;
  workflow_id: string;
  version: string | null;
  status: Run['status'];
  output: unknown;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
  run_uri: string;
}

const nullableString = { type: ['string', 'null'] };
/**
 * Described only where the name does not say it all: tools/list repeats this on every tool that
 * declares the envelope, and the server instructions and each result's text say what to do next.
 */
export const ENVELOPE_PROPERTIES = {
  run_id: { type: 'string' },
  provider: { type: 'string' },
  workflow_id: { type: 'string' },
  version: nullableString,
  status: { type: 'string', enum: [...RUN_STATUSES], description: '"running"/"queued": not done yet, call wait_for_run. "waiting": waits for a person.' },
  output: { description: "The workflow's output once completed, else null." },
  error: nullableString,
  started_at: nullableString,
  ended_at: nullableString,
  run_uri: { type: 'string' },
} as const;

export const ENVELOPE_SCHEMA = {
  type: 'object',
  properties: ENVELOPE_PROPERTIES,
  required: ['run_id', 'provider', 'workflow_id', 'status', 'output', 'error', 'run_uri'],
} as const;

/**
 * A declared output schema with an `$id` named by its content: the SDK client compiles a
 * validator for every declared schema on every tools/list unless the schema has an `$id` its
 * Ajv already knows (then it reuses the compiled one). Same content, same id; new content, new id.
 */
export function identifiedSchema<T extends Record<string, unknown>>(schema: T): T & { $id: string } {
  if (typeof schema['$id'] === 'string') return schema as T & { $id: string };
  const hash = createHash('sha256').update(stableStringify(schema)).digest('hex').slice(0, 20);
  return { $id: `urn:workflows-mcp:schema:${hash}`, ...schema };
}

export function runUri(provider: string, runId: string): string {
  return `workflows://runs/${encodeURIComponent(provider)}/${encodeURIComponent(runId)}`;
}

/** The envelope of a run, its output kept only within `outputMax` bytes (else a note pointing at the run resource). */
export function toEnvelope(run: Run, outputMax: number = OUTPUT_STRUCTURED_MAX): RunEnvelope {
  const uri = runUri(run.provider, run.runId);
  return {
    run_id: run.runId, provider: run.provider, workflow_id: run.workflowId, version: run.version ?? null, status: run.status,
    output: boundedOutput(run.output ?? null, outputMax, uri), error: run.error === null ? null : clip(run.error, ERROR_MAX), started_at: run.startedAt, ended_at: run.endedAt, run_uri: uri,
  };
}

/** For lists, where many envelopes share one message. */
export const toListedEnvelope = (run: Run): RunEnvelope => toEnvelope(run, OUTPUT_LISTED_MAX);

/** The note that stands in for an output too big or too deep for one message. */
export interface OutputNote {
  truncated: true;
  reason: string;
  size_bytes: number | null;
  run_uri: string;
}

/** The OutputNote as JSON Schema: a declared output type must admit it (a too-big output becomes one). */
export const OUTPUT_NOTE_SCHEMA = {
  type: 'object',
  properties: { truncated: { const: true }, reason: { type: 'string' }, size_bytes: { type: ['integer', 'null'] }, run_uri: { type: 'string' } },
  required: ['truncated', 'reason', 'run_uri'],
} as const;

/** The value when it fits in `maxBytes` and JSON_DEPTH_MAX levels; else a note that says where it is. */
export function boundedOutput(value: unknown, maxBytes: number, uri: string): unknown {
  const m = measureJson(value, { maxDepth: JSON_DEPTH_MAX, maxBytes });
  if (!m.over) return value;
  const bytes = m.over === 'depth' ? null : jsonBytes(value); // counted, not written out
  if (bytes !== null && bytes <= maxBytes) return value; // the estimate was high
  const reason = bytes === null ? `the output nests deeper than ${JSON_DEPTH_MAX} levels` : `the output is ${bytes} bytes, over the ${maxBytes} bytes shown here`;
  const note: OutputNote = { truncated: true, reason, size_bytes: bytes, run_uri: uri };
  return note;
}

/**
 * A big output as the run resource shows it: whole within OUTPUT_RESOURCE_MAX, else its JSON text
 * cut there, with a note (the journal may hold a bounded copy only; see runs.storeOutputMaxBytes).
 */
export function resourceOutput(value: unknown, uri: string): { output: unknown; output_truncated?: { size_bytes: number | null; shown_bytes: number; note: string } } {
  if (isPlainObject(value) && value['truncated'] === true && typeof value['head'] === 'string') {
    // The journal's bounded copy (runs.storeOutputMaxBytes): shown the same way as a live cut.
    const shown = cutUtf8(value['head'], OUTPUT_RESOURCE_MAX);
    const size = typeof value['size_bytes'] === 'number' ? value['size_bytes'] : null;
    return { output: shown, output_truncated: { size_bytes: size, shown_bytes: Buffer.byteLength(shown, 'utf8'), note: `The output is ${size ?? 'too many'} bytes; "output" holds the first ${Buffer.byteLength(shown, 'utf8')} bytes of its JSON text (${String(value['note'] ?? 'cut')}).` } };
  }
  const bounded = boundedOutput(value, OUTPUT_RESOURCE_MAX, uri);
  if (bounded === value) return { output: value };
  if (measureJson(value, { maxDepth: STRINGIFY_DEPTH_SAFE }).over) return { output: null, output_truncated: { size_bytes: null, shown_bytes: 0, note: `The output nests deeper than ${STRINGIFY_DEPTH_SAFE} levels and cannot be shown.` } };
  // The head of its JSON text and its size, without writing the whole text.
  const shown = jsonHead(value, OUTPUT_RESOURCE_MAX).text;
  const size = jsonBytes(value);
  return { output: shown, output_truncated: { size_bytes: size, shown_bytes: Buffer.byteLength(shown, 'utf8'), note: `The output is ${size} bytes; "output" holds the first ${OUTPUT_RESOURCE_MAX} bytes of its JSON text.` } };
}

/** What the model reads next to the envelope: the output itself, or what to do next. */
function statusText(run: Run, note: string | undefined): string {
  const handle = `{"provider": "${run.provider}", "run_id": "${run.runId}"}`;
  switch (run.status) {
    case 'completed':
      return truncatedJson(run.output ?? null, OUTPUT_TEXT_MAX, runUri(run.provider, run.runId));
    case 'failed':
      return `The run failed: ${run.error ?? 'no reason given'}. Check the input and try again, or read ${runUri(run.provider, run.runId)} for details.`;
    case 'cancelled':
      return `The run was cancelled${run.error ? ` (${run.error})` : ''}.`;
    case 'waiting':
      return `The run is waiting for a person to respond. It stays open until resumed${note ? `: ${note.replace('run_id": …', `run_id": "${run.runId}"`)}` : ''}. Call get_run ${handle} to check on it.`;
    case 'unknown':
      return `The run's state is unknown${run.error ? ` (${run.error})` : ''}. Call get_run ${handle} to check again; do not start it again.`;
    default:
      return `The run is still ${run.status}${note ? ` (${note})` : ''}. It keeps going in the background: call wait_for_run ${handle} to wait for the result, or read ${runUri(run.provider, run.runId)}.`;
  }
}

/**
 * The envelope's essentials as the text's first line, for clients that pass the model only the
 * text (OpenAI Agents, LangChain by default, Mastra's model output): `status`, `run_id`, and where.
 */
export function essentials(run: Run): string {
  return `status: ${run.status} · run_id: ${run.runId} · provider: ${run.provider} · workflow_id: ${run.workflowId}${run.version ? ` · version: ${run.version}` : ''}`;
}

/** A tool result for a run: envelope as structuredContent, text, and a link to the run resource. */
export function runResult(run: Run, note?: string): CallToolResult {
  const failed = run.status === 'failed' || run.status === 'cancelled';
  const body = note && (run.status === 'completed' || failed) ? `${note}\n${statusText(run, undefined)}` : statusText(run, note);
  const text = `${essentials(run)}\n${run.status === 'completed' ? 'output:\n' : failed ? 'error: ' : ''}${body}`;
  return {
    structuredContent: toEnvelope(run),
    content: [
      { type: 'text', text },
      { type: 'resource_link', uri: runUri(run.provider, run.runId), name: `run ${run.runId}`, title: `${run.provider} run ${run.runId} (${run.status})`, mimeType: 'application/json' },
    ],
    ...(failed ? { isError: true } : {}),
  };
}

/** A tool error the model can act on; no structuredContent, as the spec allows for errors. */
export function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** Runs a tool's work; a failure becomes an `isError` result with its (model-safe) message. */
export async function resultOrError(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (err) {
    return errorResult((err as Error).message);
  }
}
