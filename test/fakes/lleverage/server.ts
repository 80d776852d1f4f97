import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeServer } from '../listen.js';
import { Readable } from 'node:stream';

export interface FakeEndpoint {
  token?: string;
  required: string[];
  /** Every field the trigger configures: the document says all are sent, so a missing one is a 400. */
  fields?: string[];
  /** Bodies over this many bytes get 413. */
  maxBytes?: number;
  delayMs?: number;
  /** Answer text instead of JSON. */
  text?: boolean;
}

/**
 * Lleverage endpoints (providers.md §3): POST /<path>, optional Bearer (401), every required
 * field present (400 with a JSON message), JSON or multipart, a size cap (413), a delay. The
 * answer echoes the fields and, for files, their name, size and sha256. Anything else is recorded.
 */
export class FakeLleverage extends FakeServer {
  readonly endpoints = new Map<string, FakeEndpoint>();
  readonly unexpected: string[] = [];
  readonly requests: string[] = [];
  /** The fields of every accepted call as they arrived (files as name, size, sha256). */
  readonly received: Array<{ path: string; multipart: boolean; fields: Record<string, unknown> }> = [];
  /** One-shot failures for the next calls, whatever the path: a status, or a reset after the body arrived. */
  readonly failures: Array<{ status: number } | 'reset'> = [];


  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, value: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    const path = (req.url ?? '/').split('?')[0]!;
    const e = this.endpoints.get(path);
    if (req.method !== 'POST' || !e) {
      this.unexpected.push(`${req.method} ${req.url}`);
      return send(404, { message: 'not found' });
    }
    this.requests.push(path);
    if (e.token && req.headers.authorization !== `Bearer ${e.token}`) return send(401, { message: 'Unauthorized' });
    if (e.maxBytes && Number(req.headers['content-length'] ?? 0) > e.maxBytes) return (req.resume(), send(413, { message: 'Payload too large' }));
    const request = new Request('http://fake/', { method: 'POST', headers: req.headers as Record<string, string>, body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } as RequestInit);
    const fields: Record<string, unknown> = {};
    if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      for (const [k, v] of await request.formData()) {
        if (typeof v === 'string') fields[k] = v;
        else {
          const bytes = Buffer.from(await v.arrayBuffer());
          fields[k] = { filename: v.name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
        }
      }
    } else Object.assign(fields, await request.json());
    const failure = this.failures.shift();
    if (failure === 'reset') return void req.socket.destroy();
    if (failure) return send(failure.status, { message: 'Internal server error' });
    const absent = (e.fields ?? []).filter((f) => !(f in fields));
    if (absent.length) return send(400, { message: `Missing field: ${absent.join(', ')}` });
    const missing = e.required.filter((f) => fields[f] === undefined || fields[f] === null || fields[f] === '');
    if (missing.length) return send(400, { message: `Missing required field: ${missing.join(', ')}` });
    this.received.push({ path, multipart: (req.headers['content-type'] ?? '').startsWith('multipart/form-data'), fields });
    if (e.delayMs) await new Promise((r) => setTimeout(r, e.delayMs));
    if (e.text) return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${Object.keys(fields).join(',')}`);
    send(200, { received: fields });
  }
}
