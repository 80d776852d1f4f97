import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface TokenOptions {
  /** `sub`; null leaves it out. Default 'agent-1'. */
  sub?: string | null;
  clientId?: string;
  scope?: string;
  aud?: string;
  iss?: string;
  /** Seconds since the epoch, or a jose duration such as '5m'. */
  exp?: number | string;
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean;
}

export interface FakeAuthServer {
  issuer: string;
  jwksUrl: string;
  /** An access token for `audience` (the server's /mcp URL, usually). */
  token(audience: string, o?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

/** A local authorization server as far as a resource server sees one: a JWKS on loopback and a signer. */
export async function startFakeAuthServer(): Promise<FakeAuthServer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    async token(audience, o = {}) {
      const claims: Record<string, unknown> = { scope: o.scope ?? 'workflows' };
      if (o.clientId) claims['client_id'] = o.clientId;
      let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(o.iss ?? issuer).setAudience(o.aud ?? audience).setIssuedAt().setExpirationTime(o.exp ?? '5m');
      const sub = o.sub === undefined ? 'agent-1' : o.sub;
      if (sub !== null) jwt = jwt.setSubject(sub);
      return jwt.sign(o.foreignKey ? other.privateKey : privateKey);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
