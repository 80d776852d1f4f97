import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject, stableStringify } from '../core/json.js';
import type { Logger } from '../core/log.js';
import type { Workflow } from '../providers/types.js';

const FORMAT = 1;

/**
 * The last catalog each platform gave, kept in the state folder, so a restarted server lists
 * its tools at once — and still lists them while the platform is unreachable. A snapshot only
 * ever stands in until the platform answers.
 */
export class CatalogSnapshots {
  private readonly saved = new Map<string, string>();

  constructor(private readonly dir: string, private readonly log: Logger) {}

  load(provider: string): Workflow[] | null {
    try {
      const data = JSON.parse(readFileSync(this.file(provider), 'utf8')) as unknown;
      if (!isPlainObject(data) || data['format'] !== FORMAT || !Array.isArray(data['workflows'])) return null;
      const workflows = data['workflows'].filter((w): w is Workflow => isWorkflow(w, provider));
      this.saved.set(provider, stableStringify(workflows));
      return workflows;
    } catch {
      return null; // none yet, or unreadable: the platform's answer will do
    }
  }

  /** Writes the listing when it changed (atomically: a crash never leaves half a file). */
  save(provider: string, workflows: Workflow[]): void {
    const text = stableStringify(workflows);
    if (this.saved.get(provider) === text) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file(provider)}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ format: FORMAT, savedAt: new Date().toISOString(), workflows }), { mode: 0o600 });
      renameSync(tmp, this.file(provider));
      this.saved.set(provider, text);
    } catch (err) {
      this.log.debug(`${provider}: could not save the catalog snapshot: ${(err as Error).message}`);
    }
  }

  private file(provider: string): string {
    return join(this.dir, `catalog-${provider}.json`);
  }
}

function isWorkflow(w: unknown, provider: string): boolean {
  if (!isPlainObject(w) || w['provider'] !== provider || typeof w['id'] !== 'string' || typeof w['name'] !== 'string' || typeof w['latest'] !== 'string') return false;
  return Array.isArray(w['versions']) && w['versions'].every((v) => isPlainObject(v) && typeof v['key'] === 'string' && isPlainObject(v['inputSchema']));
}
