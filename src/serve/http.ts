import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { WorkflowError } from '../core/errors.js';
import { LOCAL_PRINCIPAL, type Principal } from '../mcp/principal.js';
import { createMcpServer, type McpConnection } from '../mcp/server.js';
import type { App } from './app.js';
import { BoundedEventStore } from './event-store.js';
import { createAuthenticator } from './http-auth.js';
import { allowedHostnames, hostnameOf, isLoopback, originHostname, readBody, sendError } from './http-guard.js';

export const MCP_PATH = '/mcp';
const PRM_PATHS = ['/.well-known/oauth-protected-resource', `/.well-known/oauth-protected-resource${MCP_PATH}`];

interface Session {
  transport: StreamableHTTPServerTransport;
  connection: McpConnection;
  lastSeen: number;
  /** Who opened it; only that principal may use it (anyone else gets 404, as for no session). */
  principal: Principal;
  /** POSTs being answered now (a busy session is not evicted). */
  busy: number;
}

export interface HttpHandle {
  url: string;
  /** Stop accepting, let in-flight calls answer with their running envelopes, close sessions. */
  close(): Promise<void>;
}

/** Streamable HTTP on node:http: stateful sessions by default, guarded, resumable. */
export async function serveHttp(app: App): Promise<HttpHandle> {
  const cfg = app.config.http;
  if (!isLoopback(cfg.host) && !cfg.token && !cfg.oauth) {
    // Beyond loopback, someone must be checked: a token, or OAuth access tokens.
    throw new WorkflowError('config', `http.token: binding to ${cfg.host} (not loopback) needs a token; set WORKFLOWS_MCP_TOKEN or http.token`);
  }
  const hosts = allowedHostnames(cfg.host, cfg.allowedHosts);
  const origins = new Set([...hosts, ...cfg.allowedOrigins.map((o) => originHostname(o) ?? o.toLowerCase())]);
  const sessions = new Map<string, Session>();
  /** POSTs being answered, per principal: the concurrency limit is per caller, not per session. */
  const inFlight = new Map<string, number>();
  const log = app.log;
  // Known once listening (port 0 picks one): the endpoint URL, the resource it names, the 401 challenge.
  let url = '';
  let resource = '';
  let challenge = 'Bearer realm="workflows-mcp"';

  const guard = (req: IncomingMessage, res: ServerResponse): boolean => {
    const host = hostnameOf(req.headers.host);
    if (!host || !hosts.has(host)) return (sendError(res, 403, -32000, 'Forbidden: Host not allowed'), false);
    const origin = req.headers.origin;
    if (origin && !origins.has(originHostname(origin) ?? '')) return (sendError(res, 403, -32000, 'Forbidden: Origin not allowed'), false);
    return true;
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const verdict = authenticate ? await authenticate(req.headers.authorization) : null;
    if (verdict && !verdict.ok) {
      const scope = cfg.oauth?.scopes.length ? `, scope="${cfg.oauth.scopes.join(' ')}"` : '';
      const header = `${challenge}, error="${verdict.error}", error_description="${verdict.description}"${scope}`;
      return sendError(res, verdict.status, -32001, `${verdict.status === 403 ? 'Forbidden' : 'Unauthorized'}: ${verdict.description}`, { 'www-authenticate': header });
    }
    const principal = verdict?.principal ?? LOCAL_PRINCIPAL; // no auth configured: loopback only, the local user
    // The SDK hands `req.auth` to every handler as `extra.authInfo`: the principal travels with the request.
    (req as IncomingMessage & { auth?: AuthInfo }).auth = { token: '', clientId: principal.id, scopes: [...principal.scopes], extra: { principal } };
    const sid = typeof req.headers['mcp-session-id'] === 'string' ? req.headers['mcp-session-id'] : undefined;
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (cfg.stateless) return sendError(res, 405, -32000, 'This server is stateless: only POST is served', { allow: 'POST' });
      const session = sid ? sessionOf(sid, principal) : undefined;
      if (!session) return sendError(res, sid ? 404 : 400, -32000, sid ? 'Session not found; initialize again' : 'Mcp-Session-Id header required');
      session.lastSeen = Date.now();
      return session.transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return sendError(res, 405, -32000, 'Method not allowed', { allow: 'GET, POST, DELETE' });
    // Only POSTs count: a GET stream is a subscription, not work in flight.
    const client = principal.id;
    if ((inFlight.get(client) ?? 0) >= cfg.maxConcurrentPerClient) {
      return sendError(res, 429, -32000, `Too many concurrent requests (limit ${cfg.maxConcurrentPerClient} per client); retry when some finish`, { 'retry-after': '1' });
    }
    inFlight.set(client, (inFlight.get(client) ?? 0) + 1);
    res.on('close', () => {
      const n = (inFlight.get(client) ?? 1) - 1;
      if (n <= 0) inFlight.delete(client);
      else inFlight.set(client, n);
    });
    return handlePost(req, res, sid, principal);
  };

  /** The session `sid` names, if `principal` opened it: another caller learns nothing, not even that it exists. */
  const sessionOf = (sid: string, principal: Principal): Session | undefined => {
    const session = sessions.get(sid);
    if (session && session.principal.id !== principal.id) {
      log.warn(`http session ${sid.slice(0, 8)}: refused a request made with another principal's credentials (answered 404, as for an unknown session)`);
      return undefined;
    }
    return session;
  };

  const handlePost = async (req: IncomingMessage, res: ServerResponse, sid: string | undefined, principal: Principal): Promise<void> => {
    const raw = await readBody(req, cfg.maxBodyBytes);
    if (raw === null) return sendError(res, 413, -32000, `Request body over ${cfg.maxBodyBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, 400, -32700, 'Parse error: the body is not JSON');
    }
    if (cfg.stateless) return handleStateless(req, res, body, principal);
    let session = sid ? sessionOf(sid, principal) : undefined;
    if (sid && !session) return sendError(res, 404, -32000, 'Session not found; initialize again');
    if (!session) {
      if (!isInitializeRequest(body)) return sendError(res, 400, -32000, 'Bad Request: no session; send initialize first');
      if (sessions.size >= cfg.maxSessions) evictIdle(0);
      if (sessions.size >= cfg.maxSessions) return sendError(res, 503, -32000, 'Too many sessions; try again later', { 'retry-after': '5' });
      session = await openSession(principal);
    }
    const open = session;
    open.lastSeen = Date.now();
    open.busy++;
    res.on('close', () => void open.busy--);
    await open.transport.handleRequest(req, res, body);
  };

  const openSession = async (principal: Principal): Promise<Session> => {
    const id = randomUUID();
    const connection = createMcpServer(app.deps, { principal });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: new BoundedEventStore(),
      retryInterval: 2000,
      onsessionclosed: (s) => void closeSession(s),
    });
    const session: Session = { transport, connection, lastSeen: Date.now(), principal, busy: 0 };
    sessions.set(id, session);
    transport.onclose = () => void sessions.delete(id);
    await connection.connect(transport);
    log.debug(`http session ${id.slice(0, 8)} opened (${sessions.size} open)`);
    return session;
  };

  const closeSession = async (id: string): Promise<void> => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    await s.connection.close().catch(() => {});
    log.debug(`http session ${id.slice(0, 8)} closed (${sessions.size} open)`);
  };

  /** Stateless: a new Server and transport per request (the SDK allows one request each). */
  const handleStateless = async (req: IncomingMessage, res: ServerResponse, body: unknown, principal: Principal): Promise<void> => {
    const connection = createMcpServer(app.deps, { tasks: false, principal });
    const transport = new StreamableHTTPServerTransport({}); // no sessionIdGenerator: stateless
    res.on('close', () => void connection.close().catch(() => {}));
    await connection.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const evictIdle = (idleMs: number): void => {
    const cutoff = Date.now() - idleMs;
    for (const [id, s] of sessions) if (s.lastSeen < cutoff && s.busy === 0) void closeSession(id);
  };
  const authenticate = createAuthenticator(cfg, () => resource);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const sweeper = setInterval(() => evictIdle(cfg.sessionIdleMinutes * 60_000), 60_000);
  sweeper.unref();

  const server: HttpServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!guard(req, res)) return;
    if (path === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({
        status: 'ok', version: app.deps.version, sessions: sessions.size, runs_in_flight: app.deps.tracker.inFlight,
        event_loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e4) / 100, rss_mb: Math.round(process.memoryUsage.rss() / 1048576),
      }));
    }
    if (cfg.oauth && PRM_PATHS.includes(path) && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ resource, authorization_servers: cfg.oauth.authorizationServers, scopes_supported: cfg.oauth.scopes, bearer_methods_supported: ['header'], resource_name: 'workflows-mcp' }));
    }
    if (path !== MCP_PATH) return sendError(res, 404, -32000, `Not found; the MCP endpoint is ${MCP_PATH}`);
    handleMcp(req, res).catch((err: unknown) => {
      log.error(`http: ${(err as Error).message}`);
      sendError(res, 500, -32603, 'Internal error');
    });
  });
  server.requestTimeout = 0; // long tool calls hold their POST stream open; progress keeps it alive
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new WorkflowError('config', `http: cannot listen on ${cfg.host}:${cfg.port} (${err.code ?? err.message})`)));
    server.listen(cfg.port, cfg.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}${MCP_PATH}`;
  resource = cfg.oauth?.resource ?? url;
  if (cfg.oauth) challenge += `, resource_metadata="${new URL(PRM_PATHS[1]!, resource).href}"`;
  log.info(`serving ${app.deps.catalog.tools.length} workflow tools over Streamable HTTP at ${url}${cfg.stateless ? ' (stateless)' : ''}${cfg.token ? ' (bearer token required)' : ''}`);

  return {
    url,
    async close() {
      clearInterval(sweeper);
      loopDelay.disable();
      server.close(); // stop accepting
      app.stop(); // in-flight calls return their envelopes now
      const deadline = Date.now() + 5000;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all([...sessions.keys()].map(closeSession));
      server.closeAllConnections();
    },
  };
}
