import { isPlainObject, type JsonObject } from '../../core/json.js';

export interface SseEvent {
  event: string | null;
  data: string;
  id: string | null;
  retry: number | null;
}

/**
 * text/event-stream, parsed incrementally: any chunk boundaries, LF or CRLF, multi-line `data:`,
 * comment lines. Events without data are dropped, as the format says.
 */
export async function* parseSse(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let ev: SseEvent = { event: null, data: '', id: null, retry: null };
  let hasData = false;
  const flushLine = function* (line: string): Generator<SseEvent> {
    if (line === '') {
      if (hasData) yield { ...ev, data: ev.data.endsWith('\n') ? ev.data.slice(0, -1) : ev.data };
      ev = { event: null, data: '', id: ev.id, retry: null };
      hasData = false;
      return;
    }
    if (line.startsWith(':')) return;
    const at = line.indexOf(':');
    const field = at === -1 ? line : line.slice(0, at);
    const value = at === -1 ? '' : line.slice(at + 1).replace(/^ /, '');
    if (field === 'event') ev.event = value;
    else if (field === 'data') (ev.data += `${value}\n`), (hasData = true);
    else if (field === 'id') ev.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) ev.retry = Number(value);
  };
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A CR at the very end may be half of a CRLF split across chunks: wait for the next one.
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1));
      yield* flushLine(line);
    }
  }
  if (buffer) yield* flushLine(buffer);
  yield* flushLine('');
}

/** What a Cortex stream has told us of a run: the latest snapshot with step outputs merged in. */
export type RunState = JsonObject & { output?: Record<string, JsonObject> };

/**
 * One event applied (providers.md §2): `run` replaces the state; `step` replaces one step;
 * `chunk` merges into one step — final when its status is not RUNNING. Steps before the first
 * `run` are ignored, as the SDK does.
 */
export function applyEvent(state: RunState | null, event: string, data: unknown): RunState | null {
  if (!isPlainObject(data)) return state;
  if (event === 'run') return { ...data } as RunState;
  if (!state || typeof data['key'] !== 'string') return state;
  const key = data['key'];
  const output: Record<string, JsonObject> = { ...(isPlainObject(state.output) ? (state.output as Record<string, JsonObject>) : {}) };
  if (event === 'step') output[key] = { ...data };
  else if (event === 'chunk') output[key] = data['status'] !== 'RUNNING' ? { ...(output[key] ?? {}), ...data } : mergeChunk(output[key] ?? {}, data);
  else return state;
  return { ...state, output };
}

function mergeChunk(step: JsonObject, chunk: JsonObject): JsonObject {
  const next: JsonObject = { ...step };
  for (const [k, v] of Object.entries(chunk)) {
    if (k === 'calls' && Array.isArray(v)) next['calls'] = mergeCalls(Array.isArray(step['calls']) ? (step['calls'] as JsonObject[]) : [], v.filter(isPlainObject));
    else if (k === 'output' && isPlainObject(v)) next['output'] = mergeOutput(step['output'], v);
    else next[k] = v;
  }
  return next;
}

function mergeCalls(calls: JsonObject[], incoming: JsonObject[]): JsonObject[] {
  const out = [...calls];
  for (const c of incoming) {
    const i = c['id'] === undefined ? -1 : out.findIndex((x) => x['id'] === c['id']);
    if (i === -1) out.push(c);
    else out[i] = mergeChunk(out[i]!, c);
  }
  return out;
}

/** Model output: message strings append, tool-call inputs append per id, `index` makes a list per iteration. */
function mergeOutput(current: unknown, chunk: JsonObject): unknown {
  if (typeof chunk['index'] === 'number') {
    const list = Array.isArray(current) ? [...current] : [];
    const i = chunk['index'];
    list[i] = mergeOutput(list[i], { ...chunk, index: undefined });
    return list;
  }
  const out: JsonObject = isPlainObject(current) ? { ...current } : {};
  for (const [k, v] of Object.entries(chunk)) {
    if (v === undefined) continue;
    if (k === 'message' && typeof v === 'string' && typeof out['message'] === 'string') out['message'] = out['message'] + v;
    else if (k === 'tool_calls' && Array.isArray(v)) {
      const calls = Array.isArray(out['tool_calls']) ? [...(out['tool_calls'] as JsonObject[])] : [];
      for (const tc of v.filter(isPlainObject)) {
        const i = calls.findIndex((x) => x['id'] === tc['id']);
        if (i === -1) calls.push({ ...tc });
        else calls[i] = { ...calls[i], ...tc, ...(typeof tc['input'] === 'string' && typeof calls[i]!['input'] === 'string' ? { input: (calls[i]!['input'] as string) + tc['input'] } : {}) };
      }
      out['tool_calls'] = calls;
    } else out[k] = v;
  }
  return out;
}
