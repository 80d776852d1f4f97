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
  if (typeof value !== 'string' && measureJson(value, { maxDepth: STRINGIFY_DEPTH_SAFE, maxBytes }).over === 'size') {
    // Too big to show whole: its compact JSON text is cut as it is written, never built whole.
    return `${jsonHead(value, maxBytes).text}\n… [truncated: ${jsonBytes(value)} bytes of JSON in all; the full output is in ${where}]`;
  }
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

/** Bytes `s` takes as a JSON string literal (quotes and escapes included), without building it. */
export function jsonStringBytes(s: string): number {
  let bytes = Buffer.byteLength(s, 'utf8') + 2;
  // Most text needs no escape: one native scan says so before a loop over every character.
  if (!/["\\\u0000-\u001f\ud800-\udfff]/.test(s)) return bytes;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) bytes += 1;
    else if (c < 0x20) bytes += 5; // \u00XX
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++; // a pair: 4 bytes, counted
    else if (c >= 0xd800 && c <= 0xdfff) bytes += 3; // a lone half: \udXXX (6) where byteLength counted 3
  }
  return bytes;
}

function scalarJson(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'bigint') return JSON.stringify(String(v));
  return undefined; // undefined, functions, symbols: left out (null in an array)
}

type Frame = { kind: 'array'; items: unknown[]; at: number } | { kind: 'object'; entries: Array<[string, unknown]>; at: number };

/**
 * Walks a JSON value as JSON.stringify writes it (compact), handing out the structure's text to
 * `piece` and each string value or key's value to `str`, in order; stops as soon as one returns
 * false. No recursion: any depth is walked.
 */
function walkJson(value: unknown, piece: (text: string) => boolean, str: (s: string) => boolean): boolean {
  const stack: Frame[] = [];
  const emit = (v: unknown): boolean => {
    if (typeof v === 'string') return str(v);
    if (v !== null && typeof v === 'object') {
      const json = (v as { toJSON?: () => unknown }).toJSON;
      if (typeof json === 'function') return emit(json.call(v));
      if (Array.isArray(v)) return stack.push({ kind: 'array', items: v, at: 0 }), piece('[');
      const entries = Object.entries(v as JsonObject).filter(([, x]) => scalarJson(x) !== undefined || typeof x === 'string' || (x !== null && typeof x === 'object'));
      return stack.push({ kind: 'object', entries, at: 0 }), piece('{');
    }
    return piece(scalarJson(v) ?? 'null');
  };
  if (!emit(value)) return false;
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    if (f.kind === 'array') {
      if (f.at === f.items.length) {
        stack.pop();
        if (!piece(']')) return false;
        continue;
      }
      if (f.at > 0 && !piece(',')) return false;
      if (!emit(f.items[f.at++])) return false;
    } else {
      if (f.at === f.entries.length) {
        stack.pop();
        if (!piece('}')) return false;
        continue;
      }
      const [k, v] = f.entries[f.at]!;
      if (!piece(`${f.at++ > 0 ? ',' : ''}${JSON.stringify(k)}:`)) return false;
      if (!emit(v)) return false;
    }
  }
  return true;
}

/**
 * The first `maxBytes` bytes of a value's compact JSON text, and whether that is all of it —
 * without ever building the whole text: a 50 MB output costs `maxBytes`, not 50 MB, to cut.
 */
export function jsonHead(value: unknown, maxBytes: number): { text: string; complete: boolean } {
  const parts: string[] = [];
  let bytes = 0;
  const piece = (text: string): boolean => {
    const n = Buffer.byteLength(text, 'utf8');
    if (bytes + n > maxBytes) {
      parts.push(cutUtf8(text, maxBytes - bytes));
      return false;
    }
    parts.push(text);
    bytes += n;
    return true;
  };
  // A string is cut before it is escaped: one more character than bytes left is enough to overflow.
  const want = (): number => maxBytes - bytes + 1;
  const complete = walkJson(value, piece, (s) => piece(JSON.stringify(s.length > want() ? s.slice(0, want()) : s)));
  return { text: parts.join(''), complete };
}

/** The exact size in bytes of a value's compact JSON text, counted without building it. */
export function jsonBytes(value: unknown): number {
  let bytes = 0;
  walkJson(value, (text) => ((bytes += Buffer.byteLength(text, 'utf8')), true), (s) => ((bytes += jsonStringBytes(s)), true));
  return bytes;
}

/** Where JSON.stringify is still safe from V8's recursion limit (which is at about 2,000–5,000 levels). */
export const STRINGIFY_DEPTH_SAFE = 1000;

type CopyFrame = { src: object; items: unknown[]; keys: string[] | null; at: number; out: unknown[] | JsonObject };

/**
 * What JSON.parse(JSON.stringify(value)) gives — toJSON called, undefined and functions left out
 * (null in arrays), non-finite numbers null, a cycle or a BigInt a TypeError — built without the
 * text, sharing the strings: a 50 MB output costs its structure, not another 100 MB.
 */
export function jsonCopy(value: unknown): unknown {
  const ancestors = new Set<object>();
  const stack: CopyFrame[] = [];
  const plain = (v: unknown): unknown => {
    let x = v;
    if (x !== null && typeof x === 'object' && typeof (x as { toJSON?: unknown }).toJSON === 'function') x = (x as { toJSON: () => unknown }).toJSON();
    if (x instanceof Number || x instanceof String || x instanceof Boolean) x = x.valueOf();
    if (typeof x === 'number') return Number.isFinite(x) ? x : null;
    if (typeof x === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
    if (typeof x === 'string' || typeof x === 'boolean' || x === null) return x;
    if (typeof x !== 'object') return undefined; // undefined, functions, symbols
    if (ancestors.has(x)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(x);
    const array = Array.isArray(x);
    const keys = array ? null : Object.keys(x);
    const out = array ? new Array<unknown>((x as unknown[]).length).fill(null) : {};
    stack.push({ src: x, items: array ? (x as unknown[]) : keys!.map((k) => (x as JsonObject)[k]), keys, at: 0, out });
    return out;
  };
  const root = plain(value);
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    if (f.at === f.items.length) {
      stack.pop();
      ancestors.delete(f.src);
      continue;
    }
    const i = f.at++;
    const v = plain(f.items[i]);
    if (f.keys === null) (f.out as unknown[])[i] = v === undefined ? null : v;
    else if (v !== undefined) (f.out as JsonObject)[f.keys[i]!] = v;
  }
  return root === undefined ? null : root;
}
