import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The SDK's web-standard transport on node:http without a general adapter. With the body
 * already parsed, the transport reads only `method`, `url` and `headers.get`/`entries` of its
 * Request (SDK 1.32.2; the HTTP and conformance tests cover it): a view onto the Node request
 * gives it those, where @hono/node-server built a Request and its Headers for every call, then
 * piped the answer through a general response path (together ~5 % of the server's time and a
 * good part of its garbage with 1,000 calls in flight).
 */
export function webRequest(req: IncomingMessage): Request {
  const h = req.headers;
  const one = (v: string | string[] | undefined): string | null => (v === undefined ? null : Array.isArray(v) ? v.join(', ') : v);
  const headers = {
    get: (name: string): string | null => one(h[name.toLowerCase()]),
    *entries(): IterableIterator<[string, string]> {
      for (const [k, v] of Object.entries(h)) if (v !== undefined) yield [k, one(v)!];
    },
  };
  return { method: req.method ?? 'GET', url: `http://${h.host ?? 'localhost'}${req.url ?? '/'}`, headers } as unknown as Request;
}

/**
 * Writes a web Response to node:http: status and headers, then the body as it comes (an SSE
 * stream until the call's answer). A client that goes away cancels the stream, which is how the
 * transport learns that a call's stream is gone (its answer is then kept for a resume).
 */
export async function writeWebResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  if (headers['content-type']?.startsWith('text/event-stream')) res.flushHeaders(); // the client learns of the stream now
  const reader = response.body.getReader();
  const cancel = (): void => void reader.cancel().catch(() => {});
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } catch {
    res.destroy(); // the stream failed: the client sees the connection end, and may resume
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
