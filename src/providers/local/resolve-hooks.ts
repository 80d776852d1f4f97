/**
 * Module resolution hooks (node:module `register`) for local workflow files: a workflow may
 * `import { defineWorkflow } from 'workflows-mcp'` or `import { z } from 'zod'` from any folder,
 * even one with no node_modules. Its own installed copy always wins; ours is the fallback.
 */
type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Context = { parentURL?: string | undefined; [key: string]: unknown };
type NextResolve = (specifier: string, context?: Context) => Promise<Resolved>;

const OWN_ENTRY = new URL('../../index.js', import.meta.url).href;

export async function resolve(specifier: string, context: Context, nextResolve: NextResolve): Promise<Resolved> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    if (specifier === 'workflows-mcp') return { url: OWN_ENTRY, shortCircuit: true };
    if (specifier === 'zod' || specifier.startsWith('zod/')) return nextResolve(specifier, { ...context, parentURL: import.meta.url });
    throw err;
  }
}
