export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Platform data may nest thousands of levels deep (V8's JSON.stringify and structuredClone throw
 * a RangeError from about 2,000–5,000 levels): every walk over it stops here.
 */
export const JSON_DEPTH_MAX = 64;

export interface JsonMeasure {
  /** Deepest nesting seen (a scalar is 0), counted no further than the limit. */
  depth: number;
  /** About the size of its JSON text in bytes, counted no further than the limit. */
  bytes: number;
  /** Which limit the value breaks, if any. */
  over: 'depth' | 'size' | null;
}

/** Depth and approximate JSON size of a value, walked without recursion; stops at the first limit broken. */
export function measureJson(value: unknown, limits: { maxDepth?: number; maxBytes?: number } = {}): JsonMeasure {
  const maxDepth = limits.maxDepth ?? JSON_DEPTH_MAX;
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  // Two parallel stacks, not a [value, depth] pair per node: this runs over every tools/list
  // page and every platform schema, and the pairs were most of its cost.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let depth = 0;
  let bytes = 0;
  while (values.length) {
    const v = values.pop();
    const d = depths.pop()!;
    if (d > depth) depth = d;
    if (depth > maxDepth) return { depth, bytes, over: 'depth' };
    if (typeof v === 'string') bytes += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'bigint') bytes += 8;
    else if (typeof v === 'boolean' || v === null || v === undefined) bytes += 5;
    else if (Array.isArray(v)) {
      bytes += 2 + v.length;
      for (let i = v.length - 1; i >= 0; i--) {
        values.push(v[i]);
        depths.push(d + 1);
      }
    } else if (typeof v === 'object') {
      bytes += 2;
      const o = v as JsonObject;
      for (const k of Object.keys(o)) {
        bytes += k.length + 4;
        values.push(o[k]);
        depths.push(d + 1);
      }
    }
    if (bytes > maxBytes) return { depth, bytes, over: 'size' };
  }
  return { depth, bytes, over: null };
}

/** JSON text, or null where JSON.stringify cannot make one (nesting too deep, text too long). */
export function tryStringify(value: unknown, space?: number): string | null {
  try {
    return JSON.stringify(value, null, space) ?? 'null';
  } catch {
    return null;
  }
}

/** JSON text for the model, cut at `maxBytes` with a note saying where the rest is. */
export function truncatedJson(value: unknown, maxBytes: number, where: string): string {
  const text = typeof value === 'string' ? value : tryStringify(value, 2);
  if (text === null) return `[the output nests too deep to show as text; read it from ${where}]`;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  return `${cutUtf8(text, maxBytes)}\n… [truncated: ${bytes} bytes in all; the full output is in ${where}]`;
}

/** The first `maxBytes` bytes of `text`, never ending in half a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3) return text;
  return Buffer.from(text.slice(0, maxBytes), 'utf8').subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
}

/** A string of at most `max` characters, cut with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function parseJsonOr<T>(text: string | null | undefined, fallback: T): unknown {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

/** Where stableStringify stops descending; deeper parts read as one marker (hostile data only). */
const STABLE_DEPTH_MAX = 256;

/** Stable stringify (sorted keys) for fingerprints; never throws on deep data (deeper parts become a marker). */
export function stableStringify(value: unknown, depth = 0): string {
  if (depth > STABLE_DEPTH_MAX && typeof value === 'object' && value !== null) return '"[nested too deep]"';
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v, depth + 1)).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k], depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
