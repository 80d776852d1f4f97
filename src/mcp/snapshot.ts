import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject, stableStringify } from '../core/json.js';
import type { Logger } from '../core/log.js';
import type { Workflow } from '../providers/types.js';

const FORMAT = 1;

/**
 * A snapshot bigger than this is not kept (nor read): the bounds on each workflow (bounds.ts)
 * do not bound how many workflows a platform lists, and a snapshot is read whole at start.
 */
export const SNAPSHOT_BYTES_MAX = 32 * 1024 * 1024;

/** Where snapshots are kept: the state folder (one process), or the database replicas share. */
export interface SnapshotBackend {
  /** The stored document, or null when there is none (or it cannot be read). */
  read(provider: string): Promise<string | null>;
  write(provider: string, doc: string): Promise<void>;
}

/** One file per platform in the state folder, replaced atomically: a crash never leaves half a file. */
export class FileSnapshots implements SnapshotBackend {
  constructor(private readonly dir: string) {}

  async read(provider: string): Promise<string | null> {
    try {
      if (statSync(this.file(provider)).size > SNAPSHOT_BYTES_MAX) return null;
      return readFileSync(this.file(provider), 'utf8');
    } catch {
      return null; // none yet, or unreadable: the platform's answer will do
    }
  }

  async write(provider: string, doc: string): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(provider)}.${process.pid}.tmp`;
    writeFileSync(tmp, doc, { mode: 0o600 });
    renameSync(tmp, this.file(provider));
  }

  private file(provider: string): string {
    return join(this.dir, `catalog-${provider}.json`);
  }
}

/**
 * The last catalog each platform gave, so a (re)started server — or another replica — lists its
 * tools at once, and still lists them while the platform is unreachable. A snapshot only ever
 * stands in until the platform answers. Read before serving (`preload`), so listing from it
 * needs no await.
 */
export class CatalogSnapshots {
  /** What the backend holds, as this process last read or wrote it (unchanged listings are not written). */
  private readonly saved = new Map<string, string>();
  private readonly loaded = new Map<string, Workflow[]>();
  /** Each platform's writes, one after another. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly warned = new Set<string>();

  constructor(private readonly backend: SnapshotBackend, private readonly log: Logger, private readonly maxBytes = SNAPSHOT_BYTES_MAX) {}

  /** Reads the snapshots of these platforms; a failure only means none. */
  async preload(providers: readonly string[]): Promise<void> {
    await Promise.all(providers.map(async (provider) => {
      const doc = await this.backend.read(provider).catch((err: Error) => {
        this.log.debug(`${provider}: could not read the catalog snapshot: ${err.message}`);
        return null;
      });
      const workflows = doc && doc.length <= this.maxBytes ? parse(doc, provider) : null;
      if (!workflows) return;
      this.loaded.set(provider, workflows);
      this.saved.set(provider, stableStringify(workflows));
    }));
  }

  load(provider: string): Workflow[] | null {
    return this.loaded.get(provider) ?? null;
  }

  /** Keeps the listing when it changed and is not too big; never throws, never waits. */
  save(provider: string, workflows: Workflow[]): void {
    const text = stableStringify(workflows);
    if (this.saved.get(provider) === text) return;
    if (text.length > this.maxBytes) {
      if (!this.warned.has(provider)) this.warned.add(provider), this.log.warn(`${provider}: its catalog (${(text.length / 1e6).toFixed(1)} MB) is too big to keep as a snapshot; a restart lists it once ${provider} answers`);
      return;
    }
    this.saved.set(provider, text);
    const doc = `{"format":${FORMAT},"workflows":${text}}`;
    const next = (this.writes.get(provider) ?? Promise.resolve()).then(() => this.backend.write(provider, doc)).catch((err: Error) => {
      if (this.saved.get(provider) === text) this.saved.delete(provider); // try again next time
      this.log.debug(`${provider}: could not save the catalog snapshot: ${err.message}`);
    });
    this.writes.set(provider, next);
  }

  /** Resolves when every write so far has landed (tests, and before closing the store). */
  async flush(): Promise<void> {
    await Promise.all(this.writes.values());
  }
}

function parse(doc: string, provider: string): Workflow[] | null {
  try {
    const data = JSON.parse(doc) as unknown;
    if (!isPlainObject(data) || data['format'] !== FORMAT || !Array.isArray(data['workflows'])) return null;
    return data['workflows'].filter((w): w is Workflow => isWorkflow(w, provider));
  } catch {
    return null;
  }
}

function isWorkflow(w: unknown, provider: string): boolean {
  if (!isPlainObject(w) || w['provider'] !== provider || typeof w['id'] !== 'string' || typeof w['name'] !== 'string' || typeof w['latest'] !== 'string') return false;
  return Array.isArray(w['versions']) && w['versions'].every((v) => isPlainObject(v) && typeof v['key'] === 'string' && isPlainObject(v['inputSchema']));
}
