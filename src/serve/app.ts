import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { WorkflowError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/log.js';
import { Redactor } from '../core/redact.js';
import { packageVersion } from '../core/version.js';
import { Catalog, type ProviderFilter } from '../mcp/catalog.js';
import { CatalogSnapshots } from '../mcp/snapshot.js';
import { followAdoptedTasks } from '../mcp/task-adoption.js';
import type { McpDeps } from '../mcp/tool.js';
import { createProviders, type ProviderSet } from '../providers/index.js';
import { startHousekeeping } from '../runs/housekeeping.js';
import type { SessionStore } from './session-store.js';
import { followAdoptedCalls } from './call-adoption.js';
import { openSharedState } from './shared-state.js';
import { openRunStore } from '../runs/store.js';
import { SafeRunStore, secureStateDir, secureStateFiles } from '../runs/safe-store.js';
import { RunTracker } from '../runs/tracker.js';
import type { Database } from '../state/database.js';

/** How long a server waits for catalogs before it serves what is ready. */
export const STARTUP_WAIT_MS = 1000;

export interface App {
  config: Config;
  log: Logger;
  redactor: Redactor;
  deps: McpDeps;
  unavailable: ProviderSet['unavailable'];
  /** HTTP sessions and their SSE events: this process's own, or shared by replicas. */
  sessions: SessionStore;
  /** The shared PostgreSQL state when `state.databaseUrl` is set (pool, LISTEN); null on SQLite. */
  database: Database | null;
  /** Ends every tool call's wait now (they answer with the run as it is); runs keep going. */
  stop(): void;
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  secrets: string[];
  /** Where log lines go; stderr unless a test says otherwise. Never stdout. */
  writeLog?: (line: string) => void;
  /** Watch folders and re-read catalogs on a timer (off for one-shot CLI commands). */
  live: boolean;
}

/** Everything a server or a CLI command needs, wired once: providers, journal, tracker, catalog. */
export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const redactor = new Redactor();
  for (const s of opts.secrets) redactor.add(s);
  const log = createLogger({ redactor, stderrLevel: config.logLevel, ...(opts.writeLog ? { write: opts.writeLog } : {}) });
  // The shared state first: a wrong database URL stops the start before anything listens.
  // Loaded only with a database: the PostgreSQL client is a large graph a SQLite start never needs.
  const database = config.state.databaseUrl ? await (await import('../state/database.js')).Database.open({ url: config.state.databaseUrl, poolSize: config.state.poolSize, log }) : null;
  // Webhooks (Leap) need a listener before the providers, which tell the platform its URL.
  const wantsWebhooks = opts.live && config.providers.leap?.enabled && (config.webhooks.publicUrl !== null || config.webhooks.port !== undefined);
  // Loaded only here: node:http's module facade alone costs ~15 ms of start-up on Node 22.
  const webhooks = wantsWebhooks ? await (await import('./webhooks.js')).startWebhooks({ host: config.webhooks.host, port: config.webhooks.port ?? 0, publicUrl: config.webhooks.publicUrl, log }) : null;
  const shared = await openSharedState(database, config.stateDir);
  const { providers, unavailable } = await createProviders(config, log, { webhookBase: webhooks?.base, webhookTokens: shared.webhookTokens, sharedRate: shared.rateBuckets, schemaCache: shared.schemaCache });
  // Runs and snapshots may hold what platforms returned: only this user may read them.
  secureStateDir(config.stateDir, log);
  const store = new SafeRunStore(await openRunStore({ stateDir: config.stateDir, database }), { redactor, maxBytes: config.runs.storeOutputMaxBytes });
  secureStateFiles(config.stateDir, log);
  const tracker = new RunTracker({ store, providers: new Map(providers.map((p) => [p.name, p])), log, ...(shared.budgets ? { budgets: shared.budgets } : {}) });
  const leaseMs = config.state.leaseSeconds * 1000;
  // The lease first: a run we start must never look orphaned to another replica.
  await tracker.keepLease(leaseMs);
  if (webhooks) {
    const byName = new Map(providers.map((p) => [p.name, p]));
    webhooks.route = async (provider, token) => {
      const runId = (await byName.get(provider)?.acceptWebhook?.(token)) ?? null;
      if (runId !== null) tracker.wake(provider, runId); // a run already seen to its end needs no wake
      return runId !== null;
    };
  }
  const filters = new Map<string, ProviderFilter>();
  for (const [name, block] of Object.entries(config.providers)) if (block) filters.set(name, block);
  const snapshots = new CatalogSnapshots(shared.snapshots, log);
  const catalog = new Catalog({ providers, filters, toolNameMax: config.toolNameMax, log, snapshots });
  // A one-shot command needs the whole catalog; a server starts with what loads within 1 s,
  // listing each remote platform from its last known catalog until it answers; the rest
  // arrives with tools/list_changed.
  if (opts.live) {
    await snapshots.preload(providers.filter((p) => p.capabilities.listWorkflows && p.runsOutliveProcess).map((p) => p.name));
    catalog.seed();
    await catalog.refreshWithin(STARTUP_WAIT_MS);
  } else await catalog.refresh();
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal); // one listener per in-flight call, by design
  const deps: McpDeps = {
    stopping: stopping.signal,
    catalog, tracker, log, version: packageVersion(), redact: (v) => redactor.redactValue(v), tasks: shared.tasks, ...(shared.calls ? { calls: shared.calls } : {}),
    settings: { waitSeconds: config.runs.waitSeconds, readOnly: config.readOnly, tools: config.tools, toolsets: config.toolsets, maxTools: config.maxTools, schemas: config.schemas, ...(config.http.oauth ? { toolScopes: config.http.oauth.toolScopes } : {}) },
  };
  // Stopped owners' runs are adopted from here on (now, then on every lease tick), their MCP tasks and calls in flight with them.
  const stops: Array<() => void> = [followAdoptedTasks(deps, leaseMs)];
  if (shared.calls) stops.push(followAdoptedCalls(deps, shared.calls, shared.sessions, leaseMs));
  await tracker.recover();
  stops.push(startHousekeeping(tracker, { retentionDays: config.runs.retentionDays, leaseMs, log }));
  if (opts.live) stops.push(...keepFresh(catalog, providers, config.refreshSeconds, log));
  let closed = false;
  return {
    config, log, redactor, deps, unavailable, sessions: shared.sessions, database,
    stop: () => stopping.abort(),
    async close() {
      if (closed) return;
      closed = true;
      for (const stop of stops) stop();
      await Promise.all(providers.map((p) => p.close().catch((err: Error) => log.warn(`${p.name}: close failed: ${err.message}`))));
      await tracker.close();
      await snapshots.flush();
      await webhooks?.close();
      await shared.close();
      await store.close();
      await database?.close();
    },
  };
}

function keepFresh(catalog: Catalog, providers: ProviderSet['providers'], refreshSeconds: number, log: Logger): Array<() => void> {
  const refresh = (why: string): void => {
    catalog.refresh().then(
      (changed) => changed && log.info(`catalog changed (${why}): ${catalog.tools.length} workflow tools`),
      (err: Error) => log.warn(`catalog refresh failed: ${err.message}`),
    );
  };
  const stops = providers.map((p) => p.onCatalogChange?.(() => refresh(`${p.name} changed`)) ?? (() => {}));
  if (refreshSeconds > 0) {
    const timer = setInterval(() => refresh('interval'), refreshSeconds * 1000);
    timer.unref();
    stops.push(() => clearInterval(timer));
  }
  return stops;
}
