import { globToRegExp } from '../core/glob.js';
import type { JournalRun } from '../runs/journal.js';
import type { CallContext } from './tool.js';

/**
 * Who a request comes from. Computed only from verified credentials (never from a header or an
 * argument): the OAuth `sub` (else `client_id`) with its issuer, the static token, or the local
 * user (stdio, the CLI, HTTP on loopback without auth). Plain data, so a session record can keep
 * it wherever sessions are stored.
 */
export interface Principal {
  /** What runs record as `started_by`: `local`, `token`, or `<issuer>#<subject>`. */
  id: string;
  kind: 'local' | 'token' | 'oauth';
  /** The token's scopes (OAuth only; the local user and the static token have none). */
  scopes: readonly string[];
  /** Sees and acts on every run, and on platform history of runs started outside this server. */
  admin: boolean;
}

/** stdio, the CLI and unauthenticated loopback HTTP: the machine's own user, admin of its own journal. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ id: 'local', kind: 'local', scopes: Object.freeze([]), admin: true }) as Principal;

/** The static bearer token: one shared secret, held by whoever runs the server, so admin too. */
export const TOKEN_PRINCIPAL: Principal = Object.freeze({ id: 'token', kind: 'token', scopes: Object.freeze([]), admin: true }) as Principal;

/** An OAuth principal; issuers carry no `#` (RFC 8414: no fragment), so the id is unambiguous. */
export function oauthPrincipal(issuer: string, subject: string, scopes: readonly string[], adminScope: string): Principal {
  return { id: `${issuer}#${subject}`, kind: 'oauth', scopes: [...scopes], admin: scopes.includes(adminScope) };
}

/** Whether `principal` may see a run that `startedBy` started (null: before principals were recorded, or elsewhere). */
export function maySee(principal: Principal, startedBy: string | null | undefined): boolean {
  return principal.admin || (startedBy !== null && startedBy !== undefined && startedBy === principal.id);
}

/** The journal filter for a principal: admins see every run, everyone else their own. */
export function ownerFilter(principal: Principal): string | undefined {
  return principal.admin ? undefined : principal.id;
}

/** `http.oauth.toolScopes`: tool-name globs → the scopes a caller needs to list and call the tool. */
export type ToolScopes = Readonly<Record<string, string | readonly string[]>>;

const compiled = new Map<string, RegExp>();
const globFor = (glob: string): RegExp => compiled.get(glob) ?? compiled.set(glob, globToRegExp(glob)).get(glob)!;

/**
 * The scopes a tool needs that the principal lacks (empty: it may use it). Every glob that
 * matches the name adds its scopes. Only OAuth principals are limited: the local user and the
 * static token carry no scopes and are not subject to the map.
 */
export function missingScopes(principal: Principal, toolName: string, toolScopes: ToolScopes): string[] {
  if (principal.kind !== 'oauth') return [];
  const missing = new Set<string>();
  for (const [glob, needed] of Object.entries(toolScopes)) {
    if (!globFor(glob).test(toolName)) continue;
    for (const s of typeof needed === 'string' ? [needed] : needed) if (!principal.scopes.includes(s)) missing.add(s);
  }
  return [...missing];
}

/** The isError text for a tool the caller's token does not allow; null when it may use it. */
export function toolRefusal(principal: Principal, toolName: string, toolScopes: ToolScopes | undefined): string | null {
  const missing = toolScopes ? missingScopes(principal, toolName, toolScopes) : [];
  if (!missing.length) return null;
  return `Forbidden: tool "${toolName}" needs scope ${missing.join(' ')}, which your access token does not carry; nothing was started. Ask for a token with that scope, or use a tool that is listed.`;
}

/**
 * For tools that start a run of some workflow (run_workflow, replay_run): refused when the
 * workflow's own tools are, so `toolScopes` cannot be bypassed through the generic tools. The
 * names checked are the workflow's tools in the catalog, or `<provider>_<workflow id>` when it
 * has none there (a run started elsewhere), which provider globs such as `looply_*` still match.
 */
export function workflowRefusal(ctx: Pick<CallContext, 'principal' | 'deps'>, provider: string, workflowId: string): string | null {
  const toolScopes = ctx.deps.settings.toolScopes;
  if (!toolScopes || ctx.principal.kind !== 'oauth') return null;
  const own = ctx.deps.catalog.tools.filter((t) => t.workflow.provider === provider && t.workflow.id === workflowId).map((t) => t.tool.name);
  const names = own.length ? own : [`${provider}_${workflowId}`];
  const missing = new Set(names.flatMap((n) => missingScopes(ctx.principal, n, toolScopes)));
  if (!missing.size) return null;
  return `Forbidden: workflow "${provider}/${workflowId}" needs scope ${[...missing].join(' ')}, which your access token does not carry; nothing was started. Ask for a token with that scope.`;
}

/** What a tool says of a run it cannot find — and, word for word, of another principal's run. */
export function unknownRunText(provider: string, runId: string): string {
  return `No run "${runId}" for provider "${provider}" is known to this server. Call list_runs to see recent runs.`;
}

/** The run, if `principal` may see it; otherwise undefined, exactly as for a run that does not exist. */
export async function visibleRun(ctx: Pick<CallContext, 'principal' | 'deps'>, provider: string, runId: string): Promise<JournalRun | undefined> {
  const run = await ctx.deps.tracker.get(provider, runId);
  return run && maySee(ctx.principal, run.startedBy) ? run : undefined;
}
