import { createHash } from 'node:crypto';
import { stableStringify } from '../core/json.js';
import type { Logger } from '../core/log.js';
import type { CatalogProblem, Provider, Workflow, WorkflowVersion } from '../providers/types.js';
import { CatalogBounds } from './bounds.js';
import { mergeListing, planTools } from './catalog-plan.js';
import { assignToolNames, type ToolRef } from './naming.js';
import type { PreparedSchema } from './schema.js';
import type { CatalogSnapshots } from './snapshot.js';
import { passesFilter, prepareVersion, workflowTool, type ProviderFilter, type WorkflowEntry } from './workflow-tool.js';

export { globMatch, prepareVersion, type ProviderFilter, type WorkflowEntry } from './workflow-tool.js';

export interface CatalogOptions {
  providers: readonly Provider[];
  filters: ReadonlyMap<string, ProviderFilter>;
  toolNameMax: number;
  log: Logger;
  /** Where each platform's last catalog is kept between runs (see `seed`). */
  snapshots?: CatalogSnapshots;
}

/** A platform listed from its snapshot, not yet from itself. */
interface Stale {
  ready: Promise<void>;
  resolve(): void;
  /** Why the platform has not answered, once a read failed. */
  error: string | null;
}

/** How long a call to a tool listed from a snapshot waits for its platform's own listing. */
export const FRESH_WAIT_MS = 30_000;
/** While a big platform is read, its tools are published (and list_changed sent) at most this often. */
export const PUBLISH_EVERY_MS = 1000;
const PUBLISH_GATHER_MS = 100;

/** The workflows of every provider as tools; re-read on refresh, always read fresh on request. */
export class Catalog {
  private listings = new Map<string, Workflow[]>();
  private problems = new Map<string, CatalogProblem[]>();
  private entries: WorkflowEntry[] = [];
  private byName = new Map<string, WorkflowEntry>();
  private readonly everNamed = new Set<string>();
  private fingerprint = '';
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<boolean> | null = null;
  private readonly stale = new Map<string, Stale>();
  /** The current refresh's read of each provider. */
  private readonly reads = new Map<string, Promise<void>>();
  private readonly pending = new Set<string>();
  /** Platform data is bounded where it enters: nothing a platform lists can break the others. */
  private readonly bounds: CatalogBounds;
  /** Each provider's workflows read so far by the current refresh, by id (bounded, filtered). */
  private readonly fresh = new Map<string, Map<string, Workflow>>();
  private publishTimer: NodeJS.Timeout | null = null;
  private lastPublish = 0;
  /** A digest of each tool as listed, so telling whether the list changed does not re-serialise it. */
  private readonly digests = new WeakMap<WorkflowEntry, string>();
  private readonly prepared = new WeakMap<WorkflowVersion, PreparedSchema>();

  constructor(private readonly opts: CatalogOptions) {
    this.bounds = new CatalogBounds(opts.log);
  }

  /**
   * Lists each remote platform's workflows from its snapshot until the platform answers. Calls
   * to those tools wait for the real listing (`whenFresh`): only the platform's own answer
   * knows what a run needs.
   */
  seed(): void {
    for (const p of this.opts.providers) {
      if (!p.capabilities.listWorkflows || !p.runsOutliveProcess) continue;
      const loaded = this.opts.snapshots?.load(p.name);
      if (!loaded?.length) continue;
      const workflows = this.bounds.apply(p.name, loaded).workflows;
      this.listings.set(p.name, workflows.filter((w) => passesFilter(w, this.opts.filters.get(p.name))));
      let resolve = (): void => {};
      const ready = new Promise<void>((r) => (resolve = r));
      this.stale.set(p.name, { ready, resolve, error: null });
      this.opts.log.info(`${p.name}: ${workflows.length} workflows listed from the last known catalog until ${p.name} answers`);
    }
    this.publish();
  }

  /**
   * Null once the provider's tools come from the provider itself; else waits up to `ms` for
   * that, and says why it is not so (a read failed, or no answer in time).
   */
  async whenFresh(provider: string, ms: number, workflow?: Workflow): Promise<string | null> {
    const s = this.stale.get(provider);
    if (!s || this.isFresh(provider, workflow)) return null;
    if (s.error === null) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([s.ready, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    }
    if (!this.stale.has(provider) || this.isFresh(provider, workflow)) return null;
    const why = s.error ?? `no answer within ${Math.round(ms / 1000)} s`;
    return `${provider} has not answered since this server started (${why}); its tools are from the last known list, so no run was started. Try again later.`;
  }

  get tools(): readonly WorkflowEntry[] {
    return this.entries;
  }

  get workflows(): Workflow[] {
    return [...this.listings.values()].flat();
  }

  get allProblems(): CatalogProblem[] {
    return [...this.problems.values()].flat();
  }

  providerNames(): string[] {
    return this.opts.providers.map((p) => p.name);
  }

  provider(name: string): Provider | undefined {
    return this.opts.providers.find((p) => p.name === name);
  }

  entry(name: string): WorkflowEntry | undefined {
    return this.byName.get(name);
  }

  /** A tool name this server listed before, now gone: the agent should list tools again. */
  vanished(name: string): boolean {
    return !this.byName.has(name) && this.everNamed.has(name);
  }

  workflow(provider: string, id: string): Workflow | undefined {
    return this.listings.get(provider)?.find((w) => w.id === id);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads every provider; resolves true when the tool list changed. Concurrent calls share one pass. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /**
   * Like refresh, but gives up waiting after `ms`: a slow platform must not hold up serving.
   * Providers that answer later are added then, with the usual change notification.
   */
  async refreshWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, ms)));
    const all = this.refresh();
    // Platforms listed from a snapshot already have tools: only the others are waited for.
    const unseeded = this.opts.providers.filter((p) => !this.stale.has(p.name)).map((p) => this.reads.get(p.name));
    await Promise.race([this.stale.size ? Promise.all(unseeded) : all, late]);
    clearTimeout(timer);
  }

  /**
   * A refresh for someone waiting on the answer (the `refresh` tool): the outcome within `ms`, or
   * null and the refresh goes on (a 10,000-workflow platform takes minutes); see `reading`.
   */
  async refreshFor(ms: number): Promise<boolean | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
    const outcome = await Promise.race([this.refresh(), late]);
    clearTimeout(timer);
    return outcome;
  }

  /** Providers the current refresh is still reading. */
  get reading(): string[] {
    return [...this.pending];
  }

  /** How many of `provider`'s workflows the current refresh has read so far. */
  readSoFar(provider: string): number {
    return this.fresh.get(provider)?.size ?? 0;
  }

  /** This workflow, as listed, comes from its platform's current answer (not from a snapshot). */
  private isFresh(provider: string, workflow: Workflow | undefined): boolean {
    return workflow !== undefined && this.fresh.get(provider)?.get(workflow.id) === workflow;
  }

  private async doRefresh(): Promise<boolean> {
    const before = this.fingerprint;
    for (const p of this.opts.providers) {
      this.pending.add(p.name);
      this.reads.set(p.name, this.readProvider(p).finally(() => this.pending.delete(p.name)));
    }
    await Promise.all(this.reads.values());
    this.publish();
    return this.fingerprint !== before;
  }

  private async readProvider(p: Provider): Promise<void> {
    const filter = this.opts.filters.get(p.name);
    const fresh = new Map<string, Workflow>();
    this.fresh.set(p.name, fresh);
    // A platform read in pages is served as it is read: what arrives is listed within a second.
    const progress = (workflows: Workflow[]): void => {
      for (const w of this.bounds.apply(p.name, workflows).workflows) if (passesFilter(w, filter)) fresh.set(w.id, w);
      this.publishSoon();
    };
    try {
      const listing = await p.listWorkflows(undefined, progress);
      const bounded = this.bounds.apply(p.name, listing.workflows);
      this.fresh.delete(p.name);
      this.listings.set(p.name, bounded.workflows.filter((w) => passesFilter(w, filter)));
      this.problems.set(p.name, [...listing.problems, ...bounded.problems]);
      if (p.capabilities.listWorkflows && p.runsOutliveProcess) this.opts.snapshots?.save(p.name, bounded.workflows);
      const stale = this.stale.get(p.name);
      this.stale.delete(p.name);
      if (stale) this.publish(), stale.resolve(); // callers waiting on it see the fresh tools
    } catch (err) {
      this.mergeFresh(p.name, fresh); // what was read before the failure is kept, over the previous list
      this.fresh.delete(p.name);
      const stale = this.stale.get(p.name);
      if (stale) (stale.error = (err as Error).message), stale.resolve(); // waiting calls learn why at once
      // Keep what we had: one provider down must not empty the others' tools, nor its own.
      this.opts.log.warn(`${p.name}: could not list workflows (${(err as Error).message}); keeping the previous list`);
      this.problems.set(p.name, [{ where: p.name, message: (err as Error).message }]);
    }
    // Each provider's tools appear as soon as it answers, not when the slowest one does.
    if (this.refreshing) this.publish();
  }

  /** A publish of what the refreshes have read so far, at most once per PUBLISH_EVERY_MS. */
  private publishSoon(): void {
    if (this.publishTimer) return;
    // A short gather first: answers that arrive together are published together.
    const wait = Math.max(PUBLISH_GATHER_MS, this.lastPublish + PUBLISH_EVERY_MS - Date.now());
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      for (const [name, fresh] of this.fresh) this.mergeFresh(name, fresh);
      this.publish();
    }, wait);
    this.publishTimer.unref();
  }

  /** The provider's listing with what its current read brought so far: updated in place, new ones after. */
  private mergeFresh(provider: string, fresh: ReadonlyMap<string, Workflow>): void {
    if (fresh.size) this.listings.set(provider, mergeListing(this.listings.get(provider) ?? [], fresh));
  }

  /** Rebuilds the tools and tells listeners when they changed. */
  private publish(): void {
    this.lastPublish = Date.now();
    this.rebuild();
    // Each tool is digested once, its input schema standing in by its key (already a stable
    // text of it): a big platform published every second re-serialises nothing it has seen.
    const hash = createHash('sha1');
    for (const e of this.entries) hash.update(this.digestOf(e));
    const next = hash.digest('hex');
    if (next === this.fingerprint) return;
    this.fingerprint = next;
    for (const l of this.listeners) l();
  }

  private rebuild(): void {
    const plan = planTools(this.opts.providers, this.listings, this.opts.filters);
    const refs = plan.map((x): ToolRef => ({ provider: x.workflow.provider, workflowId: x.workflow.id, name: x.workflow.name, version: x.pinned }));
    const names = assignToolNames(refs, this.opts.toolNameMax);
    // A tool whose workflow is the same object as last time is the same tool: with a big platform
    // read in pages, each publish builds only the newly read tools.
    const reuse = (name: string, workflow: Workflow, pinned: string | undefined): WorkflowEntry | undefined => {
      const old = this.byName.get(name);
      return old && old.workflow === workflow && old.pinned === pinned ? old : undefined;
    };
    this.entries = plan.map((x, i) => reuse(names[i]!, x.workflow, x.pinned) ?? this.toEntry(names[i]!, refs[i]!, x.workflow, x.version, x.pinned));
    this.byName = new Map(this.entries.map((e) => [e.tool.name, e]));
    for (const e of this.entries) this.everNamed.add(e.tool.name);
  }

  private digestOf(e: WorkflowEntry): string {
    let d = this.digests.get(e);
    if (d === undefined) this.digests.set(e, (d = createHash('sha1').update(stableStringify({ ...e.tool, inputSchema: e.prepared.key })).digest('hex')));
    return d;
  }

  private toEntry(name: string, ref: ToolRef, workflow: Workflow, version: WorkflowVersion, pinned: string | undefined): WorkflowEntry {
    // The workflow's tool and its version's pinned tool share one prepared schema.
    let prepared = this.prepared.get(version);
    if (!prepared) this.prepared.set(version, (prepared = prepareVersion(version)));
    if (prepared.fallback) this.opts.log.warn(`${workflow.provider}/${workflow.id} v${version.key}: input schema does not compile (${prepared.fallback}); the tool accepts any object`);
    const destructive = this.opts.filters.get(workflow.provider)?.destructive ?? false;
    return { tool: workflowTool(name, workflow, version, pinned, prepared, destructive), ref, workflow, pinned, prepared };
  }
}
