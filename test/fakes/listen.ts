import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A platform fake: a real HTTP server on a free loopback port; subclasses answer requests. */
export abstract class FakeServer {
  url = '';
  protected readonly server: Server = createServer((req, res) => void this.handle(req, res));

  /** Appended to the address to make `url` (e.g. `/v2`). */
  protected readonly basePath: string = '';

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.basePath}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
