import pg from 'pg';
import type { Logger } from '../core/log.js';
import { clientConfig, describePgError } from './pool.js';

export type NotifyHandler = (payload: string) => void;

const BACKOFF_FIRST_MS = 250;
const BACKOFF_CAP_MS = 5000;

/**
 * LISTEN on a connection of its own (a pooled one would be handed to someone else). When the
 * connection breaks it reconnects with backoff, listens again on every channel, and tells
 * `onReconnect` subscribers: notifications sent meanwhile are lost, so they should re-read.
 */
export class Listener {
  private client: pg.Client | null = null;
  private readonly channels = new Map<string, Set<NotifyHandler>>();
  private readonly reconnected = new Set<() => void>();
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The last LISTEN/UNLISTEN sent: one at a time on the connection (pg queues, deprecated in pg 8, gone in 9). */
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly url: string, private readonly log: Logger) {}

  /** Connects the first time; throws when the server does not answer. */
  async start(): Promise<void> {
    await this.connect();
  }

  get connected(): boolean {
    return this.client !== null;
  }

  async listen(channel: string, handler: NotifyHandler): Promise<() => void> {
    let set = this.channels.get(channel);
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
      await this.send(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.channels.get(channel) === set) {
        this.channels.delete(channel);
        this.send(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => {});
      }
    };
  }

  /** Runs `sql` on the connection of the moment, after what was sent before it. */
  private send(sql: string): Promise<unknown> {
    const sent = this.last.then(() => this.client?.query(sql));
    this.last = sent.catch(() => {});
    return sent;
  }

  /** Called after each reconnect (not the first connect). */
  onReconnect(cb: () => void): () => void {
    this.reconnected.add(cb);
    return () => this.reconnected.delete(cb);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(clientConfig(this.url));
    client.on('notification', (n) => {
      for (const h of this.channels.get(n.channel) ?? []) {
        try {
          h(n.payload ?? '');
        } catch (err) {
          this.log.warn(`database: a notification handler failed: ${(err as Error).message}`);
        }
      }
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    for (const channel of this.channels.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    if (this.closed) return void (await client.end().catch(() => {}));
    this.client = client;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    this.log.warn(`database: the LISTEN connection broke (${describePgError(err)}); reconnecting`);
    client.end().catch(() => {});
    this.schedule();
  }

  private schedule(): void {
    const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.closed) return;
          this.attempt = 0;
          this.log.info('database: LISTEN connection back');
          for (const cb of this.reconnected) cb();
        },
        (err: unknown) => {
          if (!this.closed) this.schedule();
          if (this.attempt === 1 || this.attempt % 10 === 0) this.log.warn(`database: cannot reconnect yet (${describePgError(err)})`);
        },
      );
    }, delay);
    this.timer.unref();
  }
}

/** Sends `payload` to every listener of `channel` (delivered when the sending transaction commits). */
export async function notify(pool: pg.Pool, channel: string, payload: string): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

/** Proves LISTEN works end to end: a notification sent through the pool comes back. */
export async function listenRoundTrip(pool: pg.Pool, listener: Listener, timeoutMs = 3000): Promise<boolean> {
  const channel = `workflows_mcp_check_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let stop: (() => void) | undefined;
  try {
    const heard = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      void listener.listen(channel, () => (clearTimeout(t), resolve(true))).then((s) => {
        stop = s;
        return notify(pool, channel, 'ping');
      }).catch(() => (clearTimeout(t), resolve(false)));
    });
    return await heard;
  } finally {
    stop?.();
  }
}
