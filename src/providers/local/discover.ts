import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { kebabSlug } from '../../core/slug.js';
import type { CatalogProblem, Workflow } from '../types.js';
import { parseCommandDefinition, parseModuleDefinition, type LocalWorkflow } from './definition.js';

const MODULE_RE = /\.workflow\.(mjs|js)$/;
const COMMAND_RE = /\.workflow\.json$/;
const MAX_DEPTH = 4;

export interface LocalCatalog {
  workflows: Workflow[];
  /** workflow id → version key → definition */
  definitions: Map<string, Map<string, LocalWorkflow>>;
  problems: CatalogProblem[];
}


/** Numeric order where both keys are numeric (`2` < `10`, `1.2` < `1.10`), natural order otherwise. */
export function compareVersions(a: string, b: string): number {
  const numeric = /^\d+(\.\d+)*$/;
  if (numeric.test(a) && numeric.test(b)) {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a.localeCompare(b, 'en', { numeric: true });
}

export async function discoverLocal(dir: string): Promise<LocalCatalog> {
  const problems: CatalogProblem[] = [];
  const files = await findWorkflowFiles(dir, 0, problems);
  files.sort();
  const definitions = new Map<string, Map<string, LocalWorkflow>>();
  for (const file of files) {
    let def: LocalWorkflow;
    try {
      def = await loadDefinition(file);
    } catch (err) {
      problems.push({ where: file, message: `skipped: ${(err as Error).message}` });
      continue;
    }
    const id = kebabSlug(def.name);
    const versions = definitions.get(id) ?? new Map<string, LocalWorkflow>();
    const clash = versions.get(def.version);
    if (clash) {
      problems.push({ where: file, message: `skipped: "${def.name}" version ${def.version} is already defined in ${relative(dir, clash.file)}` });
      continue;
    }
    versions.set(def.version, def);
    definitions.set(id, versions);
  }
  const workflows = [...definitions.entries()].map(([id, versions]) => toWorkflow(id, versions));
  return { workflows, definitions, problems };
}

function toWorkflow(id: string, versions: Map<string, LocalWorkflow>): Workflow {
  const keys = [...versions.keys()].sort(compareVersions);
  const latestKey = keys[keys.length - 1]!;
  const latest = versions.get(latestKey)!;
  return {
    provider: 'local', id, name: latest.name, latest: latestKey, source: latest.file,
    ...(latest.description === undefined ? {} : { description: latest.description }),
    versions: keys.map((key) => {
      const def = versions.get(key)!;
      return { key, inputSchema: def.inputSchema, ...(def.outputSchema ? { outputSchema: def.outputSchema } : {}) };
    }),
  };
}

async function findWorkflowFiles(dir: string, depth: number, problems: CatalogProblem[]): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (depth === 0) problems.push({ where: dir, message: `cannot read the workflows folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth < MAX_DEPTH && !entry.name.startsWith('.') && entry.name !== 'node_modules') out.push(...(await findWorkflowFiles(path, depth + 1, problems)));
    } else if (MODULE_RE.test(entry.name) || COMMAND_RE.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

let hooksRegistered = false;

/** Once per process: lets workflow files import `workflows-mcp` and `zod` from anywhere. */
function registerResolveHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  register(new URL('./resolve-hooks.js', import.meta.url));
}

async function loadDefinition(file: string): Promise<LocalWorkflow> {
  if (COMMAND_RE.test(file)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`not valid JSON: ${(err as Error).message}`);
    }
    return parseCommandDefinition(file, json);
  }
  // The query string makes Node load the file again after an edit instead of its cached copy.
  registerResolveHooks();
  const { mtimeMs } = await stat(file);
  const mod = (await import(`${pathToFileURL(file).href}?mtime=${mtimeMs}`)) as { default?: unknown };
  if (mod.default === undefined) throw new Error('the module has no default export; export default { name, version, input, run }');
  return parseModuleDefinition(file, mod.default);
}
