import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const LOOPBACK = ['localhost', '127.0.0.1', '::1', '[::1]'];

export function isLoopback(host: string): boolean {
  return LOOPBACK.includes(host) || host.startsWith('127.');
}

/** Host names (no port) this server answers to: loopback, the bound host, and any configured. */
export function allowedHostnames(bindHost: string, extra: readonly string[]): Set<string> {
  const set = new Set([...LOOPBACK, ...extra.map((h) => h.toLowerCase())]);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') set.add(bindHost.toLowerCase());
  return set;
}

/** Host headers seen lately and their host names: every request names one, and a URL parse each time showed in profiles. */
const hostnames = new Map<string, string | null>();

export function hostnameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const known = hostnames.get(hostHeader);
  if (known !== undefined) return known;
  let name: string | null;
  try {
    name = new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    name = null;
  }
  if (hostnames.size >= 256) hostnames.clear(); // anyone can send any Host: bounded
  hostnames.set(hostHeader, name);
  return name;
}

export function originHostname(origin: string): string | null {
  try {
    return new URL(origin).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/** Constant-time comparison of a bearer token against the configured one. */
export function tokenMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!.trim()).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A JSON-RPC error body with an HTTP status; `id` null as the spec has it for transport errors. */
export function sendError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** Reads the body up to `limit` bytes; null when it is larger. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
