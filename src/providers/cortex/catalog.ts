import { isPlainObject } from '../../core/json.js';
import type { Logger } from '../../core/log.js';
import { mapLimit } from '../../core/pool.js';
import { readThrough, type SchemaCache } from '../schema-cache.js';
import type { CatalogListing, CatalogProblem, JSONSchema, Workflow, WorkflowVersion } from '../types.js';
import type { CortexClient, ListFilters, Scope } from './client.js';
import { cortexInputSchema } from './schema.js';
import { CortexVersion, type CortexWorkflow } from './wire.js';

export const DRAFT = 'draft';
const VERSION_LIST_CONCURRENCY = 16;

export interface CatalogOptions {
  discover: boolean;
  draft: boolean;
  versions: 'all' | 'latest';
  filters: ListFilters;
  /** When set, every tool gets a `retention` argument (days) that overrides this default. */
  retentionDays?: number | undefined;
  log: Logger;
  /** Version lists and versions shared by replicas (they never change once deployed). */
  schemaCache?: SchemaCache | undefined;
  /** Names this account in cache keys (base URL and app). */
  cacheScope: string;
}

const versionList = CortexVersion.array();

/** What a start needs to know about a tool's version beyond its schema. */
export interface VersionInfo {
  scope: Scope;
  /** What to send as `workflow_version_id`: the version's id, or `draft`. */
  versionId: string;
  /** Top-level file fields: sent as multipart parts. */
  fileFields: string[];
  /** The tool has our `retention` argument (the workflow has no field of that name). */
  retentionArg: boolean;
}

/**
 * Own workflows (all pages) and, when asked, discoverable ones, each with its deployed version,
 * its other deployed versions (own workflows only: Cortex lists versions only there) and the
 * draft when configured. Deployed versions never change, so a workflow's version list is read
 * again only when its deployment moved.
 */
export class CortexCatalog {
  readonly info = new Map<string, VersionInfo>();
  private readonly versionLists = new Map<string, Promise<CortexVersion[]>>();
  /** Schema problems already logged: a refresh every few minutes should not repeat them. */
  private readonly warned = new Set<string>();

  constructor(private readonly client: CortexClient, private readonly opts: CatalogOptions) {}

  async list(signal?: AbortSignal): Promise<CatalogListing> {
    const problems: CatalogProblem[] = [];
    const [own, shared] = await Promise.all([
      this.client.listWorkflows('own', this.opts.filters, signal),
      this.opts.discover ? this.client.listWorkflows('discover', this.opts.filters, signal) : Promise.resolve([]),
    ]);
    const ownIds = new Set(own.map((w) => w.id));
    const queue = [...own.map((w) => ({ w, scope: 'own' as const })), ...shared.filter((w) => !ownIds.has(w.id)).map((w) => ({ w, scope: 'discover' as const }))];
    const workflows = await mapLimit(queue, VERSION_LIST_CONCURRENCY, async ({ w, scope }) => {
      try {
        return await this.workflow(w, scope, problems, signal);
      } catch (err) {
        problems.push({ where: `cortex ${w.id}`, message: (err as Error).message });
        return null;
      }
    });
    return { workflows: workflows.filter((w): w is Workflow => w !== null), problems };
  }

  private async workflow(w: CortexWorkflow, scope: Scope, problems: CatalogProblem[], signal?: AbortSignal): Promise<Workflow | null> {
    if (w.deleted === true || w.enabled === false) return null;
    const deployed = w.version ?? null;
    const versions: WorkflowVersion[] = [];
    let listed: CortexVersion[] = deployed ? [deployed] : [];
    if (deployed && scope === 'own' && this.opts.versions === 'all') {
      try {
        listed = await this.versionsOf(w.id, deployed.id, signal);
      } catch (err) {
        // The deployed version is known from the list: offer it, and say the others are missing.
        problems.push({ where: `cortex ${w.id} versions`, message: (err as Error).message });
        this.opts.log.warn(`cortex ${w.id}: could not list its versions (${(err as Error).message}); only the deployed one is offered`);
      }
    }
    if (deployed && !listed.some((v) => v.id === deployed.id)) listed.push(deployed);
    for (const v of listed.sort((a, b) => a.version - b.version)) {
      const input = v.input === undefined && v.id === deployed?.id ? (await this.versionOf(scope, w.id, v.id, signal)).input : v.input;
      versions.push(this.version(w.id, String(v.version), { scope, versionId: v.id }, input, v.input_default, problems, v.created_at ?? undefined));
    }
    if (this.opts.draft && scope === 'own') versions.push(this.version(w.id, DRAFT, { scope, versionId: DRAFT }, w.input, w.input_default, problems));
    const latest = deployed ? String(deployed.version) : this.opts.draft && scope === 'own' ? DRAFT : null;
    if (!latest) return null; // never deployed, and drafts are not offered
    const owner = scope === 'discover' && w.app?.name ? ` (shared by ${w.app.name})` : '';
    const tags = (w.tags ?? []).map((t) => t.name).filter((t): t is string => typeof t === 'string' && t !== '');
    const description = [`${w.description ?? ''}${owner}`.trim(), tags.length ? `Tags: ${tags.join(', ')}.` : ''].filter(Boolean).join('\n');
    return { provider: 'cortex', id: w.id, name: w.name || w.id, versions, latest, source: scope === 'own' ? 'cortex workflow' : 'cortex discoverable workflow', ...(description ? { description } : {}) };
  }

  private versionsOf(id: string, deployedId: string, signal?: AbortSignal): Promise<CortexVersion[]> {
    const key = `${id}@${deployedId}`;
    let hit = this.versionLists.get(key);
    if (!hit) {
      hit = readThrough(this.opts.schemaCache, `cortex ${this.opts.cacheScope} versions ${id}@${deployedId}`, () => this.client.listVersions(id, signal), (v) => versionList.safeParse(v).data, this.opts.log);
      hit.catch(() => this.versionLists.delete(key)); // a failure is not cached
      this.versionLists.set(key, hit);
    }
    return hit;
  }

  /** One deployed version in full (its input when a listing left it out); never changes, so cached. */
  private versionOf(scope: Scope, id: string, versionId: string, signal?: AbortSignal): Promise<CortexVersion> {
    const fetch = (): Promise<CortexVersion> => this.client.getVersion(scope, id, versionId, signal);
    return readThrough(this.opts.schemaCache, `cortex ${this.opts.cacheScope} ${scope} version ${id}@${versionId}`, fetch, (v) => CortexVersion.safeParse(v).data, this.opts.log);
  }

  private version(workflowId: string, key: string, at: { scope: Scope; versionId: string }, input: unknown, inputDefault: unknown, problems: CatalogProblem[], createdAt?: string): WorkflowVersion {
    const { schema, problems: found } = cortexInputSchema(input, inputDefault);
    for (const message of found) {
      problems.push({ where: `cortex ${workflowId} v${key}`, message });
      const line = `cortex ${workflowId} v${key}: ${message}`;
      if (!this.warned.has(line)) this.warned.add(line), this.opts.log.warn(line);
    }
    const fileFields = isPlainObject(input) ? Object.entries(input).filter(([, d]) => isPlainObject(d) && d['type'] === 'file').map(([k]) => k) : [];
    const { schema: withArgs, retentionArg } = this.withRetention(schema);
    this.info.set(`${workflowId}/${key}`, { ...at, fileFields, retentionArg });
    const defaults = isPlainObject(inputDefault) ? inputDefault : undefined;
    return { key, inputSchema: withArgs, ...(defaults ? { defaults } : {}), ...(createdAt ? { createdAt } : {}) };
  }

  private withRetention(schema: JSONSchema): { schema: JSONSchema; retentionArg: boolean } {
    const props = schema['properties'];
    if (this.opts.retentionDays === undefined || !isPlainObject(props) || 'retention' in props) return { schema, retentionArg: false };
    const retention = { type: 'number', description: `How many days Cortex keeps this run's data (-1: keep it forever). Default ${this.opts.retentionDays}.` };
    return { schema: { ...schema, properties: { ...props, retention } }, retentionArg: true };
  }
}
