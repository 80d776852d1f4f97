import { systemClock } from '../core/clock.js';
import type { SharedBuckets } from '../http/shared-rate.js';
import { FileSnapshots, type SnapshotBackend } from '../mcp/snapshot.js';
import { MemoryTaskBackend, type TaskBackend } from '../mcp/tasks.js';
import type { SchemaCache } from '../providers/schema-cache.js';
import { MemoryWebhookTokens, type WebhookTokens } from '../providers/webhook-tokens.js';
import { sharedBudget, type BudgetSource } from '../runs/poller.js';
import type { Database } from '../state/database.js';
import type { PgCallLinks } from './call-links-pg.js';
import { MemorySessionStore, type SessionStore } from './session-store.js';

/** What replicas share besides the run journal; chosen once at start, asked nothing else above. */
export interface SharedState {
  sessions: SessionStore;
  tasks: TaskBackend;
  webhookTokens: WebhookTokens;
  /** Poll budgets drawn from buckets every replica shares; undefined: this process's own. */
  budgets: BudgetSource | undefined;
  /** Platform request allowances (Cortex's per-minute limit) every replica draws from; undefined: each process its own. */
  rateBuckets: SharedBuckets | undefined;
  /** Each platform's last catalog: in the state folder, or in the database every replica reads. */
  snapshots: SnapshotBackend;
  /** Platform answers that never change (version schemas), shared; undefined: each provider keeps its own. */
  schemaCache: SchemaCache | undefined;
  /** Calls in flight waiting on runs, for the replica that adopts a run; undefined: one process needs none. */
  calls: PgCallLinks | undefined;
  close(): Promise<void>;
}

/** PostgreSQL when the app has a database (state.databaseUrl), else this process's memory. */
export async function openSharedState(database: Database | null, stateDir: string): Promise<SharedState> {
  if (!database) {
    const sessions = new MemorySessionStore();
    const tasks = new MemoryTaskBackend();
    return {
      sessions, tasks, webhookTokens: new MemoryWebhookTokens(), budgets: undefined, rateBuckets: undefined,
      snapshots: new FileSnapshots(stateDir), schemaCache: undefined, calls: undefined,
      close: async () => void (await sessions.close(), await tasks.close()),
    };
  }
  // Loaded only with a database: the PostgreSQL client is a large graph a SQLite start never needs.
  const [{ PgSessionStore }, { PgTaskBackend }, { PgBuckets }, { PgWebhookTokens }, { PgSnapshots, PgSchemaCache }, { PgCallLinks }] = await Promise.all([
    import('./session-store-pg.js'), import('../mcp/tasks-pg.js'), import('../http/shared-rate.js'), import('./webhook-tokens-pg.js'), import('./catalog-store-pg.js'), import('./call-links-pg.js'),
  ]);
  const sessions = await PgSessionStore.open(database);
  const tasks = await PgTaskBackend.open(database);
  const buckets = new PgBuckets(database);
  return {
    sessions, tasks, webhookTokens: new PgWebhookTokens(database), rateBuckets: buckets,
    snapshots: new PgSnapshots(database), schemaCache: await PgSchemaCache.open(database), calls: new PgCallLinks(database),
    budgets: (provider, perSecond) => sharedBudget(systemClock, () => buckets.take(`poll:${provider}`, perSecond, perSecond)),
    close: async () => void (await sessions.close(), await tasks.close()),
  };
}
