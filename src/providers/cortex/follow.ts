import { WorkflowError } from '../../core/errors.js';
import { isPlainObject, parseJsonOr } from '../../core/json.js';
import type { Logger } from '../../core/log.js';
import { isTerminal, type RunStatus, type RunStep, type RunUpdate } from '../types.js';
import { runUpdateOf, stepOf } from './map.js';
import { applyEvent, parseSse, type RunState, type SseEvent } from './stream.js';
import { CortexRun } from './wire.js';

/** At most this often a still-running step's streamed text is reported (status changes go at once). */
const CHUNK_REPORT_MS = 100;

/** An open run stream, after its first `run` event, waiting to be observed. */
export interface OpenStream {
  state: RunState;
  events: AsyncIterator<SseEvent>;
  /** Ends the HTTP request under the stream. */
  abort: () => void;
  /** Set when we end the stream on purpose (the run is known to be over). */
  stopped?: boolean;
}

/**
 * Reads a stream up to its first `run` event — the run's id. Anything else first (steps, junk)
 * is skipped as the SDK skips it; a stream that ends or breaks before then leaves the run's
 * existence unknown, and the start is never repeated.
 */
export async function openRunStream(body: AsyncIterable<Uint8Array>, abort: () => void, what: string): Promise<OpenStream> {
  const events = parseSse(body)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await events.next();
      if (next.done) break;
      const data = parseJsonOr(next.value.data, null);
      if (next.value.event === 'run' && CortexRun.safeParse(data).success) return { state: applyEvent(null, 'run', data)!, events, abort };
    }
  } catch (err) {
    abort();
    throw unknownOutcome(what, String(err));
  }
  abort();
  throw unknownOutcome(what, 'the stream ended before its first run event');
}

function unknownOutcome(what: string, detail: string): WorkflowError {
  return new WorkflowError('outcome_unknown', `The stream of ${what} broke off before Cortex said which run it started, so nothing was sent again: the run may or may not have started. Check the recent runs (list_runs with a workflow_id) before starting it again.`, { detail });
}

/** The stream's state as a run: the snapshot with merged steps, its fields read leniently. */
export function runOfState(state: RunState): CortexRun | null {
  const parsed = CortexRun.safeParse(state);
  return parsed.success ? parsed.data : null;
}

/** `step "summarize" (model) running`, with how much text a streaming model step has produced. */
export function stepLine(step: RunStep, s?: Record<string, unknown>): string {
  const type = step.name ? ` (${step.name.split(' ')[0]})` : '';
  const message = s && isPlainObject(s['output']) && typeof s['output']['message'] === 'string' ? s['output']['message'] : null;
  const extra = message && step.status === 'running' ? ` · ${message.length} chars so far` : '';
  return `step "${step.key}"${type} ${step.status}${extra}`;
}

/**
 * Follows an open stream to its end: a change for every run snapshot, every step that starts or
 * changes status (in the order the stream tells them), and, at most ten times a second, the
 * growth of a streaming step. Returns the last state; the caller polls on when it is not final.
 */
export async function followStream(open: OpenStream, onUpdate: (u: RunUpdate) => void, signal: AbortSignal, log: Logger, what: string): Promise<RunState> {
  let state = open.state;
  const seen = new Map<string, RunStatus>();
  let lastChunkReport = 0;
  const stop = (): void => open.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const next = await open.events.next();
      if (next.done) break;
      const { event, data: text } = next.value;
      if (!event) continue;
      const data = parseJsonOr(text, undefined);
      if (data === undefined) {
        log.debug(`${what}: skipped an event whose data is not JSON`);
        continue;
      }
      state = applyEvent(state, event, data) ?? state;
      if (event === 'run') {
        const run = runOfState(state);
        if (!run) continue;
        const u = runUpdateOf(run);
        for (const s of u.steps ?? []) seen.set(s.key, s.status);
        onUpdate(u);
        if (isTerminal(u.status)) break;
        continue;
      }
      const key = isPlainObject(data) && typeof data['key'] === 'string' ? data['key'] : null;
      const raw = key && isPlainObject(state.output) ? state.output[key] : undefined;
      if (!key || !isPlainObject(raw)) continue;
      const step = stepOf(key, raw);
      if (seen.get(key) !== step.status) {
        seen.set(key, step.status);
        onUpdate({ step, message: stepLine(step) });
      } else if (Date.now() - lastChunkReport >= CHUNK_REPORT_MS) {
        lastChunkReport = Date.now();
        onUpdate({ message: stepLine(step, raw) });
      }
    }
  } catch (err) {
    if (!signal.aborted && !open.stopped) log.info(`${what}: the stream broke off (${(err as Error).message}); reading the run instead`);
  } finally {
    signal.removeEventListener('abort', stop);
    open.abort();
  }
  return state;
}
