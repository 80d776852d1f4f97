import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A field of a Make scenario interface, as Make's legacy MCP server reads it. */
export interface MakeField {
  name: string;
  type: 'text' | 'number' | 'boolean' | 'select';
  required?: boolean;
  help?: string;
  options?: Array<{ value: string }>;
}

/**
 * The two Make API routes `@makehq/mcp-server` reads for tools/list, over HTTPS on loopback
 * with a self-signed certificate made at start (the server pins `https://`): the scenario list
 * and each scenario's interface. Bench code only: Make is a peer here, not a platform we serve.
 */
export class FakeMake {
  readonly key = 'make-bench-key';
  readonly team = 7;
  readonly scenarios: Array<{ id: number; name: string; description: string; input: MakeField[] }> = [];
  requests = 0;
  latencyMs = 0;
  port = 0;
  /** The certificate's file, for the peer's NODE_EXTRA_CA_CERTS. */
  caFile = '';
  private server: Server | undefined;

  async start(dir: string): Promise<this> {
    const key = join(dir, 'key.pem');
    this.caFile = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', this.caFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    this.server = createServer({ key: readFileSync(key), cert: readFileSync(this.caFile) }, (req, res) => {
      this.requests++;
      const url = new URL(req.url ?? '/', 'https://localhost');
      const answer = (status: number, body: unknown): void => void setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }, this.latencyMs);
      if (req.headers.authorization !== `Token ${this.key}`) return answer(401, { message: 'Invalid token' });
      if (url.pathname === '/api/v2/scenarios' && url.searchParams.get('teamId') === String(this.team)) {
        return answer(200, { scenarios: this.scenarios.map((s) => ({ id: s.id, name: s.name, description: s.description, teamId: this.team, isActive: true, scheduling: { type: 'on-demand' } })), pg: { limit: 1000, offset: 0 } });
      }
      const m = /^\/api\/v2\/scenarios\/(\d+)\/interface$/.exec(url.pathname);
      const s = m && this.scenarios.find((x) => x.id === Number(m[1]));
      if (s) return answer(200, { interface: { input: s.input, output: [] } });
      return answer(404, { message: 'Not found' });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
