import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { readBody, sendError } from './http-guard.js';

const MAX_BODY = 1024 * 1024;

export interface WebhookReceiver {
  /** The base URL platforms are told to call: the public URL, or this listener's own. */
  base: string;
  /** Set once the app is assembled: a token for a provider → whether it named a watched run. */
  route: (provider: string, token: string) => Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A small listener for completion webhooks at /webhooks/<provider>/<token>. A token is random
 * per run and single-use; an accepted webhook only makes the tracker read the run again — its
 * body is never taken as the result. Unknown or used tokens get 404, bodies over 1 MB 413.
 */
export async function startWebhooks(opts: { host: string; port: number; publicUrl: string | null; log: Logger }): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = { base: '', route: async () => false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const m = /^\/webhooks\/([a-z0-9]+)\/([A-Za-z0-9_-]{16,})$/.exec((req.url ?? '').split('?')[0]!);
    if (req.method !== 'POST' || !m) return sendError(res, 404, -32000, 'Not found');
    readBody(req, MAX_BODY)
      .then(async (body) => {
        if (body === null) return sendError(res, 413, -32000, 'Body over 1 MB');
        if (!(await receiver.route(m[1]!, m[2]!))) return sendError(res, 404, -32000, 'Unknown or used webhook token');
        opts.log.debug(`webhook for a ${m[1]} run: reading the run again`);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      })
      .catch(() => sendError(res, 400, -32000, 'Bad request'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new WorkflowError('config', `webhooks.port: cannot listen on ${opts.host}:${opts.port} (${err.code ?? err.message})`)));
    server.listen(opts.port, opts.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  receiver.base = (opts.publicUrl ?? `http://${opts.host}:${port}`).replace(/\/+$/, '');
  receiver.close = () => new Promise((r) => (server.closeAllConnections(), server.close(() => r())));
  opts.log.info(`webhook receiver on ${opts.host}:${port}${opts.publicUrl ? `, reached at ${opts.publicUrl}` : ''}`);
  return receiver;
}
