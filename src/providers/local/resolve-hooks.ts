/**
 * Module resolution hooks for local workflow files: a workflow may
 * `import { defineWorkflow } from 'workflows-mcp'` or `import { z } from 'zod'` from any folder,
 * even one with no node_modules. Its own installed copy always wins; ours is the fallback.
 * `resolve` is the async form for `module.register` (a hooks thread, Node 20); `resolveSync`
 * the in-thread form for `module.registerHooks` (Node ≥ 22.15), which costs nothing per import.
 */
type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Context = { parentURL?: string | undefined; [key: string]: unknown };
type NextResolve = (specifier: string, context?: Context) => Promise<Resolved>;
type NextResolveSync = (specifier: string, context?: Context) => Resolved;

const OWN_ENTRY = new URL('../../index.js', import.meta.url).href;

/** Where a specifier no installed copy answers for resolves instead; null when it is not ours to serve. */
function fallback(specifier: string, err: unknown): 'own' | 'zod' | null {
  if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') return null;
  if (specifier === 'workflows-mcp') return 'own';
  if (specifier === 'zod' || specifier.startsWith('zod/')) return 'zod';
  return null;
}

export async function resolve(specifier: string, context: Context, nextResolve: NextResolve): Promise<Resolved> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const to = fallback(specifier, err);
    if (to === 'own') return { url: OWN_ENTRY, shortCircuit: true };
    if (to === 'zod') return nextResolve(specifier, { ...context, parentURL: import.meta.url });
    throw err;
  }
}

export function resolveSync(specifier: string, context: Context, nextResolve: NextResolveSync): Resolved {
  try {
    return nextResolve(specifier, context);
  } catch (err) {
    const to = fallback(specifier, err);
    if (to === 'own') return { url: OWN_ENTRY, shortCircuit: true };
    if (to === 'zod') return nextResolve(specifier, { ...context, parentURL: import.meta.url });
    throw err;
  }
}
