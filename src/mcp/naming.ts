import { createHash } from 'node:crypto';

/** What a workflow tool runs: a workflow's latest version (`version` absent) or one version. */
export interface ToolRef {
  provider: string;
  workflowId: string;
  /** The workflow's human name; its id stands in when empty. */
  name: string;
  version?: string | undefined;
}

export const DEFAULT_TOOL_NAME_MAX = 48;
const HASH_LEN = 6;

/** Lower-case `[a-z0-9_]` only: clients and model APIs reject dots, dashes vary. */
export function toolSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Short, stable across restarts and machines: derived from ids only, never from order. */
export function refHash(ref: ToolRef): string {
  const hex = createHash('sha256').update(`${ref.provider}/${ref.workflowId}/${ref.version ?? ''}`).digest('hex');
  return Number.parseInt(hex.slice(0, 10), 16).toString(36).slice(-HASH_LEN).padStart(HASH_LEN, '0');
}

function baseName(ref: ToolRef): string {
  const workflow = toolSlug(ref.name) || toolSlug(ref.workflowId) || 'workflow';
  const v = ref.version === undefined ? '' : toolSlug(ref.version) || refHash(ref);
  // `3` → `_v3`; a key that already reads as a version (`v3`, `v_abc`) is not given a second `v`.
  const version = ref.version === undefined ? '' : /^v[\d_]/.test(v) ? `_${v}` : `_v${v}`;
  return `${toolSlug(ref.provider)}_${workflow}${version}`;
}

function withHash(base: string, ref: ToolRef, max: number): string {
  const keep = base.slice(0, max - HASH_LEN - 1).replace(/_+$/, '');
  return `${keep}_${refHash(ref)}`;
}

/**
 * The one naming function, for listing and calling alike: `<provider>_<slug>` and
 * `<provider>_<slug>_v<version>`. A name that is too long, or that several refs would share,
 * is cut and given a hash of its ids — every sharer gets one, so no name depends on which
 * workflow happened to be listed first.
 */
export function assignToolNames(refs: readonly ToolRef[], max: number = DEFAULT_TOOL_NAME_MAX): string[] {
  const bases = refs.map(baseName);
  const counts = new Map<string, number>();
  for (const b of bases) counts.set(b, (counts.get(b) ?? 0) + 1);
  return bases.map((b, i) => (b.length <= max && counts.get(b) === 1 ? b : withHash(b, refs[i]!, max)));
}
