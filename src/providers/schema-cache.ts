import type { Logger } from '../core/log.js';

/**
 * Platform answers that never change once given — a deployed Cortex version list, an ACTIVE
 * Looply version's schema and structure — kept where every replica reads them, so a replica that starts (or
 * refreshes) does not ask the platform again. Without one, each provider keeps its own in memory.
 */
export interface SchemaCache {
  get(key: string): Promise<string | undefined>;
  put(key: string, body: string): Promise<void>;
}

/** An entry bigger than this is not shared (the provider's own memory still keeps it). */
export const SCHEMA_CACHE_ENTRY_MAX = 2 * 1024 * 1024;

/**
 * The cached answer under `key` when there is a usable one, else `fetch`'s — stored for the
 * others without waiting. The cache is only ever a shortcut: a read or write that fails, or an
 * entry `accept` refuses (it checks the shape, as the platform's answer was checked), means
 * asking the platform.
 */
export async function readThrough<T>(cache: SchemaCache | undefined, key: string, fetch: () => Promise<T>, accept: (v: unknown) => T | undefined, log: Logger, share: (value: T) => boolean = () => true): Promise<T> {
  if (!cache) return fetch();
  const body = await cache.get(key).catch((err: Error) => void log.debug(`schema cache: could not read ${key}: ${err.message}`));
  const cached = body === undefined ? undefined : accept(parseOrUndefined(body));
  if (cached !== undefined) return cached;
  const value = await fetch();
  if (!share(value)) return value; // e.g. a draft: it may still change
  const text = serialized(value);
  if (text !== undefined && text.length <= SCHEMA_CACHE_ENTRY_MAX) void cache.put(key, text).catch((err: Error) => log.debug(`schema cache: could not store ${key}: ${err.message}`));
  return value;
}

/** A hostile schema may nest too deep to serialise (V8's stack): such an answer is not shared. */
function serialized(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function parseOrUndefined(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
