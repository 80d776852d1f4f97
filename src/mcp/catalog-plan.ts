import type { Provider, Workflow, WorkflowVersion } from '../providers/types.js';
import type { ProviderFilter } from './workflow-tool.js';

/** One tool to list: a workflow at one of its versions, pinned to it or standing for the latest. */
export interface PlannedTool {
  workflow: Workflow;
  version: WorkflowVersion;
  pinned: string | undefined;
}

/**
 * The tools the providers' listings yield, in order: each workflow's latest, then one pinned tool
 * per version, unless the filter asks for the latest only or the platform has no versions.
 */
export function planTools(providers: readonly Provider[], listings: ReadonlyMap<string, Workflow[]>, filters: ReadonlyMap<string, ProviderFilter>): PlannedTool[] {
  const plan: PlannedTool[] = [];
  for (const p of providers) {
    const filter = filters.get(p.name);
    for (const w of listings.get(p.name) ?? []) {
      const latest = w.versions.find((v) => v.key === w.latest) ?? w.versions[w.versions.length - 1];
      if (!latest) continue;
      plan.push({ workflow: w, version: latest, pinned: undefined });
      // A platform without versions (Leap) gets the workflow tool only.
      if (filter?.versions !== 'latest' && p.capabilities.versions) for (const v of w.versions) plan.push({ workflow: w, version: v, pinned: v.key });
    }
  }
  return plan;
}

/** A provider's listing with what its current read brought so far: updated in place, new ones after. */
export function mergeListing(before: readonly Workflow[], fresh: ReadonlyMap<string, Workflow>): Workflow[] {
  const known = new Set(before.map((w) => w.id));
  const merged = before.map((w) => fresh.get(w.id) ?? w);
  for (const [id, w] of fresh) if (!known.has(id)) merged.push(w);
  return merged;
}
