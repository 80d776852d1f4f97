import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Config } from '../config/schema.js';
import { oauthPrincipal, TOKEN_PRINCIPAL, type Principal } from '../mcp/principal.js';
import { tokenMatches } from './http-guard.js';

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; error: string; description: string };

/**
 * Who may call, and who they are: the static bearer token (principal `token`), or — with
 * `http.oauth` — an access token (JWT) signed by the authorization server, issued for this
 * resource, unexpired, carrying the scopes and naming a subject (`sub`, else `client_id`).
 * The principal comes from the verified token only. No token is passed on anywhere.
 */
export function createAuthenticator(http: Config['http'], resource: () => string): ((header: string | undefined) => Promise<AuthOutcome>) | null {
  const oauth = http.oauth;
  if (!http.token && !oauth) return null;
  const jwks = oauth ? createRemoteJWKSet(new URL(oauth.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }) : null;
  return async (header) => {
    if (http.token && tokenMatches(header, http.token)) return { ok: true, principal: TOKEN_PRINCIPAL };
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!bearer) return { ok: false, status: 401, error: 'invalid_request', description: 'send Authorization: Bearer <token>' };
    if (!oauth || !jwks) return { ok: false, status: 401, error: 'invalid_token', description: 'the token is not valid' };
    const issuer = oauth.issuer ?? oauth.authorizationServers[0]!;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(bearer, jwks, { issuer, audience: oauth.resource ?? resource(), requiredClaims: ['exp'] }));
    } catch (err) {
      return { ok: false, status: 401, error: 'invalid_token', description: `the token was rejected (${(err as { code?: string }).code ?? 'invalid'})` };
    }
    const scope = payload['scope'];
    const scp = payload['scp'];
    const granted = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : Array.isArray(scp) ? scp.filter((s): s is string => typeof s === 'string') : [];
    const missing = oauth.scopes.filter((s) => !granted.includes(s));
    if (missing.length) return { ok: false, status: 403, error: 'insufficient_scope', description: `the token lacks scope ${missing.join(' ')}` };
    // Runs and sessions belong to someone: a token that names nobody cannot own anything.
    const subject = [payload['sub'], payload['client_id']].find((v): v is string => typeof v === 'string' && v.length > 0);
    if (!subject) return { ok: false, status: 401, error: 'invalid_token', description: 'the token names no subject (sub or client_id)' };
    return { ok: true, principal: oauthPrincipal(issuer, subject, granted, oauth.adminScope) };
  };
}
