import { readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { mapLimit } from '../../core/pool.js';
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
  // Loaded a few at once (reads and compiles overlap), then taken in file order.
  const loaded = await mapLimit(files, 8, (file) => loadDefinition(file).then((def) => ({ def }), (err: Error) => ({ err })));
  for (const [i, file] of files.entries()) {
    const got = loaded[i]!;
    if ('err' in got) {
      problems.push({ where: file, message: `skipped: ${got.err.message}` });
      continue;
    }
    const { def } = got;
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
/** A bare `workflows-mcp` or `zod` import, or a relative one (whose own imports we do not read). */
const IMPORTS_RE = /(?:from\s*|import\s*\(\s*|import\s+)['"](workflows-mcp|zod(?:\/[^'"]*)?|\.{1,2}\/[^'"]*)['"]/g;

/**
 * Whether a workflow file needs our resolve hooks: it imports `workflows-mcp` or `zod` and no
 * installed copy answers from its folder, or it imports other files (they might). Read before
 * the import, because Node remembers a failed import of a file's dependencies for good.
 */
export function needsResolveHooks(file: string, source: string): boolean {
  const from = nodeModule.createRequire(file);
  for (const [, spec] of source.matchAll(IMPORTS_RE)) {
    if (spec!.startsWith('.')) return true;
    try {
      from.resolve(spec!);
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * Once per process, and only when a workflow file needs them: on Node 20 `register` starts a
 * hooks thread that every later import waits on (+200 ms at start-up for the server's own
 * modules). Node ≥ 22.15 runs them in-thread (`registerHooks`), which costs nothing.
 */
async function registerResolveHooks(): Promise<void> {
  if (hooksRegistered) return;
  hooksRegistered = true;
  const registerHooks = (nodeModule as { registerHooks?: (h: { resolve: typeof resolveSync }) => unknown }).registerHooks;
  if (!registerHooks) return nodeModule.register(new URL('./resolve-hooks.js', import.meta.url));
  const { resolveSync } = await import('./resolve-hooks.js');
  registerHooks({ resolve: resolveSync });
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
  // Synchronous on purpose: a workflow file is small and local, and fs/promises' open, fstat, read
  // and close round trips through the thread pool cost more than the read itself (~5 ms vs ~1 ms for 50).
  const { mtimeMs } = statSync(file);
  const source = readFileSync(file, 'utf8');
  if (!hooksRegistered && needsResolveHooks(file, source)) await registerResolveHooks();
  // The query string makes Node load the file again after an edit instead of its cached copy.
  const mod = (await import(`${pathToFileURL(file).href}?mtime=${mtimeMs}`)) as { default?: unknown };
  if (mod.default === undefined) throw new Error('the module has no default export; export default { name, version, input, run }');
  return parseModuleDefinition(file, mod.default);
}
