import { isPlainObject } from '../../core/json.js';
import type { Logger } from '../../core/log.js';
import { mapLimit, semaphore } from '../../core/pool.js';
import { readThrough, type SchemaCache } from '../schema-cache.js';
import type { CatalogListing, CatalogProblem, CatalogProgress, JSONSchema, Workflow, WorkflowVersion } from '../types.js';
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

/** What is kept of a version between reads: never the raw platform payload (steps, notes, …). */
interface KeptVersion {
  id: string;
  version: number;
  input: unknown;
  input_default: unknown;
  created_at: string | null;
}

/** What is kept of a listed workflow while its catalog is read. */
interface Row {
  id: string;
  scope: Scope;
  name: string;
  description: string;
  deployed: KeptVersion | null;
  draftInput: unknown;
  draftDefault: unknown;
  /** Its place in the platform's list: the listing keeps the platform's order. */
  order: number;
}

/**
 * Own workflows (all pages) and, when asked, discoverable ones, each with its deployed version,
 * its other deployed versions (own workflows only: Cortex lists versions only there) and the
 * draft when configured. Read in two passes so a big account is served while it is read: each
 * page of workflows is handed over at once with the deployed version (the list carries it), then
 * each workflow's version list fills in its pinned versions (one request per workflow, paced by
 * Cortex's 500 a minute). Deployed versions never change, so a workflow's version list is read
 * again only when its deployment moved.
 */
export class CortexCatalog {
  readonly info = new Map<string, VersionInfo>();
  /** Version lists by `workflow@deployed version id`, kept lean. */
  private versionLists = new Map<string, KeptVersion[]>();
  /** Schema problems already logged: a refresh every few minutes should not repeat them. */
  private readonly warned = new Set<string>();

  constructor(private readonly client: CortexClient, private readonly opts: CatalogOptions) {}

  async list(signal?: AbortSignal, progress?: CatalogProgress): Promise<CatalogListing> {
    const problems: CatalogProblem[] = [];
    /** Each workflow's last build, with the problems found building it (a second build replaces both). */
    const found = new Map<string, { row: Row; workflow: Workflow | null; problems: CatalogProblem[] }>();
    const later: Row[] = [];
    const seenLists = new Map<string, KeptVersion[]>();
    const limit = semaphore(VERSION_LIST_CONCURRENCY);
    const firsts: Array<Promise<void>> = [];
    const settle = (row: Row, built: { workflow: Workflow | null; problems: CatalogProblem[] }): void => {
      found.set(row.id, { row, ...built });
      if (built.workflow) progress?.([built.workflow]);
    };
    const ownIds = new Set<string>();
    const onPage = (scope: Scope) => (items: CortexWorkflow[], page: number): void => {
      items.forEach((w, i) => {
        if (w.deleted === true || w.enabled === false || (scope === 'discover' && ownIds.has(w.id))) return;
        if (scope === 'own') ownIds.add(w.id);
        const row = rowOf(w, scope, page * 100_000 + i);
        const key = row.deployed ? `${row.id}@${row.deployed.id}` : '';
        const known = this.versionLists.get(key);
        if (known) seenLists.set(key, known);
        else if (row.deployed && scope === 'own' && this.opts.versions === 'all') later.push(row);
        firsts.push(limit(() => this.workflow(row, known ?? (row.deployed ? [row.deployed] : []), signal).then((wf) => settle(row, wf), (err: Error) => void problems.push({ where: `cortex ${row.id}`, message: err.message }))));
      });
    };
    await this.client.listWorkflows('own', this.opts.filters, signal, onPage('own'));
    if (this.opts.discover) await this.client.listWorkflows('discover', this.opts.filters, signal, onPage('discover'));
    await Promise.all(firsts);
    // Second pass: the other deployed versions, workflow by workflow.
    await mapLimit(later, VERSION_LIST_CONCURRENCY, async (row) => {
      try {
        const listed = await this.versionsOf(row.id, row.deployed!.id, signal);
        seenLists.set(`${row.id}@${row.deployed!.id}`, listed);
        settle(row, await this.workflow(row, listed, signal));
      } catch (err) {
        // The deployed version is known from the list: it stays offered, and the others are said to be missing.
        problems.push({ where: `cortex ${row.id} versions`, message: (err as Error).message });
        this.opts.log.warn(`cortex ${row.id}: could not list its versions (${(err as Error).message}); only the deployed one is offered`);
      }
    });
    this.versionLists = seenLists; // workflows gone or redeployed drop out
    const built = [...found.values()].sort((a, b) => a.row.order - b.row.order);
    const workflows = built.map((x) => x.workflow).filter((w): w is Workflow => w !== null);
    return { workflows, problems: [...problems, ...built.flatMap((x) => x.problems)] };
  }

  private async workflow(row: Row, known: readonly KeptVersion[], signal?: AbortSignal): Promise<{ workflow: Workflow | null; problems: CatalogProblem[] }> {
    const { deployed, scope } = row;
    const problems: CatalogProblem[] = [];
    const listed = known.filter((v) => v.id !== deployed?.id);
    if (deployed) {
      // The version list's entry, else the one the workflow list carries; read on its own when neither has its input.
      const entry = known.find((v) => v.id === deployed.id);
      const d = entry && entry.input !== undefined ? entry : deployed;
      if (d.input === undefined) d.input = (await this.versionOf(scope, row.id, deployed.id, signal)).input ?? null;
      listed.push(d);
    }
    const versions: WorkflowVersion[] = [];
    for (const v of listed.sort((a, b) => a.version - b.version)) versions.push(this.version(row.id, String(v.version), { scope, versionId: v.id }, v.input, v.input_default, problems, v.created_at ?? undefined));
    if (this.opts.draft && scope === 'own') versions.push(this.version(row.id, DRAFT, { scope, versionId: DRAFT }, row.draftInput, row.draftDefault, problems));
    const latest = deployed ? String(deployed.version) : this.opts.draft && scope === 'own' ? DRAFT : null;
    if (!latest) return { workflow: null, problems }; // never deployed, and drafts are not offered
    return { problems, workflow: { provider: 'cortex', id: row.id, name: row.name, versions, latest, source: scope === 'own' ? 'cortex workflow' : 'cortex discoverable workflow', ...(row.description ? { description: row.description } : {}) } };
  }

  /** A deployed version list (never changes), kept lean — in the shared cache too. */
  private versionsOf(id: string, deployedId: string, signal?: AbortSignal): Promise<KeptVersion[]> {
    const fetch = (): Promise<KeptVersion[]> => this.client.listVersions(id, signal).then((vs) => vs.map(keep));
    return readThrough(this.opts.schemaCache, `cortex ${this.opts.cacheScope} versions ${id}@${deployedId}`, fetch, (v) => versionList.safeParse(v).data?.map(keep), this.opts.log);
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

function keep(v: CortexVersion): KeptVersion {
  return { id: v.id, version: v.version, input: v.input, input_default: v.input_default, created_at: v.created_at ?? null };
}

function rowOf(w: CortexWorkflow, scope: Scope, order: number): Row {
  const owner = scope === 'discover' && w.app?.name ? ` (shared by ${w.app.name})` : '';
  const tags = (w.tags ?? []).map((t) => t.name).filter((t): t is string => typeof t === 'string' && t !== '');
  const description = [`${w.description ?? ''}${owner}`.trim(), tags.length ? `Tags: ${tags.join(', ')}.` : ''].filter(Boolean).join('\n');
  return { id: w.id, scope, name: w.name || w.id, description, deployed: w.version ? keep(w.version) : null, draftInput: w.input, draftDefault: w.input_default, order };
}
