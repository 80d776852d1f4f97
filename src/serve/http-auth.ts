import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Config } from '../config/schema.js';
import { tokenMatches } from './http-guard.js';

export type AuthOutcome = { ok: true; subject: string } | { ok: false; status: 401 | 403; error: string; description: string };

/**
 * Who may call: the static bearer token, or — with `http.oauth` — an access token (JWT) signed
 * by the authorization server, issued for this resource, unexpired and carrying the scopes.
 * No token is passed on anywhere: it only decides whether this request may proceed.
 */
export function createAuthenticator(http: Config['http'], resource: () => string): ((header: string | undefined) => Promise<AuthOutcome>) | null {
  const oauth = http.oauth;
  if (!http.token && !oauth) return null;
  const jwks = oauth ? createRemoteJWKSet(new URL(oauth.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }) : null;
  return async (header) => {
    if (http.token && tokenMatches(header, http.token)) return { ok: true, subject: 'token' };
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!bearer) return { ok: false, status: 401, error: 'invalid_request', description: 'send Authorization: Bearer <token>' };
    if (!oauth || !jwks) return { ok: false, status: 401, error: 'invalid_token', description: 'the token is not valid' };
    try {
      const { payload } = await jwtVerify(bearer, jwks, { issuer: oauth.issuer ?? oauth.authorizationServers[0]!, audience: oauth.resource ?? resource(), requiredClaims: ['exp'] });
      const granted = new Set(typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : Array.isArray(payload['scp']) ? (payload['scp'] as string[]) : []);
      const missing = oauth.scopes.filter((s) => !granted.has(s));
      if (missing.length) return { ok: false, status: 403, error: 'insufficient_scope', description: `the token lacks scope ${missing.join(' ')}` };
      return { ok: true, subject: String(payload.sub ?? payload['client_id'] ?? 'oauth') };
    } catch (err) {
      return { ok: false, status: 401, error: 'invalid_token', description: `the token was rejected (${(err as { code?: string }).code ?? 'invalid'})` };
    }
  };
}
