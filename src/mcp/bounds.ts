import { clip, isPlainObject, measureJson } from '../core/json.js';
import type { Logger } from '../core/log.js';
import type { CatalogProblem, JSONSchema, Workflow, WorkflowVersion } from '../providers/types.js';

/**
 * What one platform's catalog may bring in. A name or schema beyond these would make a
 * `tools/list` answer too big for clients (the SDK closes the connection over 10 MB) or too deep
 * to serialise (V8 throws from ~2,000 levels), and take every other platform down with it.
 */
export const CATALOG_LIMITS = {
  idMax: 512,
  nameMax: 200,
  descriptionMax: 4000,
  versionKeyMax: 64,
  noteMax: 2000,
  versionsMax: 200,
  schemaDepthMax: 48,
  schemaBytesMax: 256 * 1024,
} as const;

interface Bounded {
  workflow: Workflow | null;
  problems: CatalogProblem[];
}

const PERMISSIVE: JSONSchema = { type: 'object', additionalProperties: true };

/**
 * Bounds every workflow a platform lists, at the one place platform catalogs enter: oversized
 * strings are cut, a workflow whose id cannot be kept is left out, and a schema too deep or too
 * big becomes a permissive one. Each finding is a catalog problem and is logged once per process.
 */
export class CatalogBounds {
  private readonly warned = new Set<string>();
  /** Each workflow object as bounded, with what was found (a workflow object is not changed after it is listed). */
  private readonly done = new WeakMap<Workflow, Bounded>();

  constructor(private readonly log: Logger) {}

  apply(provider: string, workflows: readonly Workflow[]): { workflows: Workflow[]; problems: CatalogProblem[] } {
    const problems: CatalogProblem[] = [];
    const out: Workflow[] = [];
    for (const w of workflows) {
      // A platform read in pages hands the same workflow over while it is read and again at the end.
      let hit = this.done.get(w);
      if (!hit) this.done.set(w, (hit = this.one(provider, w)));
      problems.push(...hit.problems);
      if (hit.workflow) out.push(hit.workflow);
    }
    return { workflows: out, problems };
  }

  private one(provider: string, w: Workflow): Bounded {
    const problems: CatalogProblem[] = [];
    const found = (where: string, message: string): void => {
      problems.push({ where, message });
      const key = `${where}: ${message}`;
      if (this.warned.has(key)) return;
      if (this.warned.size > 10_000) this.warned.clear();
      this.warned.add(key);
      this.log.warn(`${where}: ${message}`);
    };
    const where = `${provider} ${clip(String(w.id), 80)}`;
    if (typeof w.id !== 'string' || w.id.length > CATALOG_LIMITS.idMax) {
      found(where, `a workflow id over ${CATALOG_LIMITS.idMax} characters; the workflow is left out`);
      return { workflow: null, problems };
    }
    const versions: WorkflowVersion[] = [];
    for (const v of w.versions.slice(-CATALOG_LIMITS.versionsMax)) {
      if (typeof v.key !== 'string' || v.key.length > CATALOG_LIMITS.versionKeyMax) {
        found(where, `a version key over ${CATALOG_LIMITS.versionKeyMax} characters; that version is left out`);
        continue;
      }
      versions.push(this.version(v, `${where} v${v.key}`, found));
    }
    if (w.versions.length > CATALOG_LIMITS.versionsMax) found(where, `${w.versions.length} versions; only the newest ${CATALOG_LIMITS.versionsMax} are listed`);
    if (!versions.length) return { workflow: null, problems };
    const latest = versions.some((v) => v.key === w.latest) ? w.latest : versions[versions.length - 1]!.key;
    const name = typeof w.name === 'string' ? w.name : w.id;
    if (name.length > CATALOG_LIMITS.nameMax) found(where, `a name of ${name.length} characters, cut to ${CATALOG_LIMITS.nameMax}`);
    const bounded: Workflow = { ...w, name: clip(name, CATALOG_LIMITS.nameMax), versions, latest };
    if (typeof w.description === 'string') bounded.description = clip(w.description, CATALOG_LIMITS.descriptionMax);
    else delete bounded.description;
    if (typeof w.source === 'string') bounded.source = clip(w.source, CATALOG_LIMITS.nameMax * 4);
    return { workflow: bounded, problems };
  }

  private version(v: WorkflowVersion, where: string, found: (where: string, message: string) => void): WorkflowVersion {
    const out: WorkflowVersion = { ...v, inputSchema: this.schema(v.inputSchema, where, 'input', found) ?? { ...PERMISSIVE } };
    if (v.outputSchema !== undefined) {
      const output = this.schema(v.outputSchema, where, 'output', found);
      if (output) out.outputSchema = output;
      else delete out.outputSchema;
    }
    if (v.defaults !== undefined && (!isPlainObject(v.defaults) || measureJson(v.defaults, limits()).over)) {
      found(where, 'defaults too deep or too big; left out');
      delete out.defaults;
    }
    if (typeof v.note === 'string') out.note = clip(v.note, CATALOG_LIMITS.noteMax);
    if (typeof v.createdAt === 'string') out.createdAt = clip(v.createdAt, 64);
    return out;
  }

  /** The schema when within bounds, else null (the caller falls back) with one problem line. */
  private schema(schema: unknown, where: string, which: string, found: (where: string, message: string) => void): JSONSchema | null {
    if (!isPlainObject(schema)) return null;
    const m = measureJson(schema, limits());
    if (!m.over) return schema;
    const why = m.over === 'depth' ? `nests deeper than ${CATALOG_LIMITS.schemaDepthMax} levels` : `is over ${CATALOG_LIMITS.schemaBytesMax / 1024} KB`;
    found(where, `the ${which} schema ${why}; ${which === 'input' ? 'the tool accepts any object and the platform checks it' : 'it is not listed'}`);
    return null;
  }
}

function limits(): { maxDepth: number; maxBytes: number } {
  return { maxDepth: CATALOG_LIMITS.schemaDepthMax, maxBytes: CATALOG_LIMITS.schemaBytesMax };
}
