import type { ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import type { Clock } from '../core/clock.js';
import { isTerminal, type Run } from '../providers/types.js';
import { runUri } from './envelope.js';

export const HEARTBEAT_MS = 10_000;
const MIN_GAP_MS = 250;

export interface ProgressTarget {
  token: string | number;
  send(notification: ServerNotification): Promise<void>;
  /**
   * Progress goes out only once this settles, then in order: a progress names its run, and with
   * replicas sharing the journal a client told of a run may ask another replica about it at once.
   */
  ready?: Promise<void>;
}

/**
 * MCP progress for one tool call: on every status change at once, other changes at most four
 * times a second, and a heartbeat every 10 s so clients that reset their timeout on progress
 * keep waiting. `progress` only ever grows, as the spec requires.
 */
export class ProgressReporter {
  private last = 0;
  private lastSentAt = 0;
  private lastLine = '';
  private pending: { cancel(): void } | null = null;
  private heartbeat: { cancel(): void } | null = null;
  private stopped = false;
  private current: { run: Run; message: string | null; fraction: number | null } | null = null;
  /** The last send, when sends wait for `target.ready` (each after the one before). */
  private queue: Promise<void> | undefined;

  constructor(
    private readonly target: ProgressTarget,
    private readonly clock: Clock,
    private readonly since: number,
  ) {
    this.queue = target.ready;
  }

  update(run: Run, message: string | null, fraction: number | null, statusChanged: boolean): void {
    if (this.stopped) return;
    this.current = { run, message, fraction };
    const wait = this.lastSentAt + MIN_GAP_MS - this.clock.now();
    if (statusChanged || wait <= 0) return this.flush();
    this.pending ??= this.clock.setTimeout(() => this.flush(), wait);
  }

  stop(): void {
    this.stopped = true;
    this.pending?.cancel();
    this.heartbeat?.cancel();
  }

  private flush(): void {
    this.pending?.cancel();
    this.pending = null;
    if (this.stopped || !this.current) return;
    const { run, message, fraction } = this.current;
    const elapsed = Math.max(0, Math.round((this.clock.now() - this.since) / 1000));
    const line = [run.status, message && !isTerminal(run.status) ? message : null, `${elapsed}s`].filter(Boolean).join(' · ');
    const byFraction = fraction === null ? null : Math.round(fraction * 10000) / 100;
    const candidate = byFraction ?? (this.clock.now() - this.since) / 1000;
    // Strictly increasing even when nothing moved (a heartbeat) or the clock stood still.
    const progress = Math.max(candidate, this.last + 0.001);
    this.last = progress;
    this.lastSentAt = this.clock.now();
    this.lastLine = line;
    const params = {
      progressToken: this.target.token,
      progress: Math.round(progress * 1000) / 1000,
      ...(byFraction === null ? {} : { total: 100 }),
      message: line,
      _meta: { run_id: run.runId, provider: run.provider, run_uri: runUri(run.provider, run.runId) },
    };
    const send = (): Promise<void> => this.target.send({ method: 'notifications/progress', params });
    const sent = this.queue ? this.waitTurn(send) : send();
    sent.catch(() => {
      // The request may have ended or the connection closed; progress is best effort.
    });
    this.heartbeat?.cancel();
    this.heartbeat = this.clock.setTimeout(() => this.flush(), HEARTBEAT_MS);
  }

  /** Settles once every progress queued behind `target.ready` has gone; undefined when none waits. */
  get queued(): Promise<void> | undefined {
    return this.queue?.then(
      () => {},
      () => {},
    );
  }

  /** Sends after what is queued; once the queue has drained, sends go out at once again. */
  private waitTurn(send: () => Promise<void>): Promise<void> {
    const turn = this.queue!.then(send, send);
    this.queue = turn;
    const drained = (): void => {
      if (this.queue === turn) this.queue = undefined;
    };
    turn.then(drained, drained);
    return turn;
  }

  /** The last line sent, for tests and logs. */
  get lastMessage(): string {
    return this.lastLine;
  }
}
