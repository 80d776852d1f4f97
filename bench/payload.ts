/**
 * Where the bytes of a tools/list answer go: the JSON size of each tool field, summed over the
 * listed tools (each field counted as `"key":value,` inside its tool object), split into workflow
 * tools that pin a version (`_v<version>`), the other workflow tools, and the static tools.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

const FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations', 'execution', '_meta'] as const;

export interface PayloadBreakdown {
  total_bytes: number;
  tools: number;
  /** Bytes per field over every tool, plus `other` (braces, commas, fields not named here). */
  by_field: Record<string, number>;
  /** Bytes of whole tool objects by kind. */
  by_kind: { workflow: number; version: number; static: number };
}

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');

/** `statics`: the names of the tools that are not workflow tools. */
export function payloadBreakdown(list: { tools: Tool[] }, statics: ReadonlySet<string>): PayloadBreakdown {
  const byField: Record<string, number> = Object.fromEntries([...FIELDS, 'other'].map((f) => [f, 0]));
  const byKind = { workflow: 0, version: 0, static: 0 };
  for (const tool of list.tools) {
    const whole = bytes(tool);
    let named = 0;
    for (const f of FIELDS) {
      if (!(f in tool)) continue;
      const b = bytes(f) + 1 + bytes((tool as Record<string, unknown>)[f]) + 1; // "key":value,
      byField[f]! += b;
      named += b;
    }
    byField['other']! += whole - named;
    const kind = statics.has(tool.name) ? 'static' : /_v[a-z0-9]+(_[0-9a-f]+)?$/.test(tool.name) && tool.title?.includes(' · v') ? 'version' : 'workflow';
    byKind[kind] += whole;
  }
  return { total_bytes: bytes(list), tools: list.tools.length, by_field: byField, by_kind: byKind };
}

/** One line for a results table: `field KB, …` largest first. */
export function breakdownLine(b: PayloadBreakdown): string {
  const kb = (n: number): string => `${Math.round(n / 102.4) / 10} KB`;
  const fields = Object.entries(b.by_field).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1]).map(([f, n]) => `${f} ${kb(n)}`);
  return `${fields.join(', ')} · by kind: workflow ${kb(b.by_kind.workflow)}, version ${kb(b.by_kind.version)}, static ${kb(b.by_kind.static)}`;
}
