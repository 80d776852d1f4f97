import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { WorkflowError } from '../core/errors.js';
import { Pacer } from '../core/pace.js';
import { LOCAL_PRINCIPAL, type Principal } from '../mcp/principal.js';
import { createMcpServer } from '../mcp/server.js';
import type { App } from './app.js';
import { createAuthenticator } from './http-auth.js';
import { LoopDelayWindow } from './loop-delay.js';
import { pickEviction, type EvictionCandidate } from './eviction.js';
import { HttpSessions, type LocalSession } from './http-sessions.js';
import { allowedHostnames, hostnameOf, isLoopback, originHostname, readBody, sendError } from './http-guard.js';

export const MCP_PATH = '/mcp';
const PRM_PATHS = ['/.well-known/oauth-protected-resource', `/.well-known/oauth-protected-resource${MCP_PATH}`];

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
  const sessions = new HttpSessions({ deps: app.deps, store: app.sessions, log: app.log });
  /** POSTs being answered, per principal: the concurrency limit is per caller, not per session. */
  const inFlight = new Map<string, number>();
  const log = app.log;
  /** Requests go on a few per loop turn: a burst of them never holds up timers or /healthz. */
  const pacer = new Pacer();
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
      if (!sid) return sendError(res, 400, -32000, 'Mcp-Session-Id header required');
      if (!(await sessions.exists(sid, principal))) return sendError(res, 404, -32000, 'Session not found; initialize again');
      if (req.method === 'DELETE') return void (await sessions.end(sid), res.writeHead(200).end());
      if (!String(req.headers.accept ?? '').includes('text/event-stream')) return sendError(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
      const lastEventId = typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : undefined;
      if (!(await sessions.follow(res, sid, lastEventId))) return sendError(res, 400, -32000, 'Unknown Last-Event-ID for this session');
      return;
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

  const handlePost = async (req: IncomingMessage, res: ServerResponse, sid: string | undefined, principal: Principal): Promise<void> => {
    const raw = await readBody(req, cfg.maxBodyBytes);
    if (raw === null) return sendError(res, 413, -32000, `Request body over ${cfg.maxBodyBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, 400, -32700, 'Parse error: the body is not JSON');
    }
    await pacer.turn();
    if (res.destroyed) return; // the client went away while it queued
    if (cfg.stateless) return handleStateless(req, res, body, principal);
    let session: LocalSession;
    if (sid) {
      const found = await sessions.find(sid, principal, makeRoom);
      if (found === 'full') return tooMany(res);
      if (!found) return sendError(res, 404, -32000, 'Session not found; initialize again');
      session = found;
    } else {
      if (!isInitializeRequest(body)) return sendError(res, 400, -32000, 'Bad Request: no session; send initialize first');
      if (!makeRoom()) return tooMany(res);
      session = await sessions.open(body.params, principal);
    }
    const open = session;
    sessions.seen(open);
    sessions.relayCancels(open, body);
    open.busy++;
    res.on('close', () => void open.busy--);
    await open.transport.handle(req, res, body);
  };

  /** Whether one more session may be held here: one idle long enough makes room, else the caller answers 503. */
  let retryAfter = 5;
  const makeRoom = (): boolean => {
    if (sessions.size < cfg.maxSessions) return true;
    const held = [...sessions.entries()].map(([id, s]): [string, EvictionCandidate] => [id, { lastSeen: s.lastSeen, busy: s.busy, streaming: sessions.streaming(id) }]);
    const pick = pickEviction(held, cfg.evictIdleSeconds * 1000, Date.now());
    retryAfter = pick.retryAfterSeconds;
    if (!pick.victim) return false;
    log.info(`http: ${cfg.maxSessions} sessions held; ending the least recently used idle one (${pick.victim.slice(0, 8)}) to make room`);
    void sessions.end(pick.victim);
    return sessions.size < cfg.maxSessions;
  };
  const tooMany = (res: ServerResponse): void => sendError(res, 503, -32000, `Too many sessions (http.maxSessions), none idle for ${cfg.evictIdleSeconds} s; try again in ${retryAfter} s`, { 'retry-after': String(retryAfter) });

  /** Stateless: a new Server and transport per request (the SDK allows one request each). */
  const handleStateless = async (req: IncomingMessage, res: ServerResponse, body: unknown, principal: Principal): Promise<void> => {
    const connection = createMcpServer(app.deps, { tasks: false, principal });
    const transport = new StreamableHTTPServerTransport({}); // no sessionIdGenerator: stateless
    res.on('close', () => void connection.close().catch(() => {}));
    await connection.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const authenticate = createAuthenticator(cfg, () => resource);
  const loopDelay = new LoopDelayWindow().start();
  const sweeper = setInterval(() => void sessions.sweep(cfg.sessionIdleMinutes * 60_000).catch((err: Error) => log.warn(`http: expiring idle sessions failed: ${err.message}`)), 60_000);
  sweeper.unref();

  const server: HttpServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!guard(req, res)) return;
    if (path === '/healthz' && req.method === 'GET') {
      const delay = loopDelay.read();
      // Still 200 without the database: runs in flight go on, and calls say what is wrong.
      void (app.database ? app.database.ping() : Promise.resolve('none' as const)).then((database) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          status: 'ok', database, version: app.deps.version, sessions: sessions.size, runs_in_flight: app.deps.tracker.inFlight, requests_queued: pacer.queued,
          event_loop_delay_p99_ms: delay.p99_ms, event_loop_delay_max_ms: delay.max_ms, event_loop_window_s: 10, rss_mb: Math.round(process.memoryUsage.rss() / 1048576),
        }));
      });
      return;
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
  // Idle keep-alive sockets live past a burst's pause (Node's 5 s default makes clients reconnect, or race a closing socket).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new WorkflowError('config', `http: cannot listen on ${cfg.host}:${cfg.port} (${err.code ?? err.message})`)));
    // A deep accept queue: thousands of clients connecting at once must queue, not time out or be reset.
    server.listen({ port: cfg.port, host: cfg.host, backlog: 4096 }, resolve);
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
      loopDelay.stop();
      server.close(); // stop accepting
      app.stop(); // in-flight calls return their envelopes now
      const deadline = Date.now() + 5000;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await sessions.close();
      server.closeAllConnections();
    },
  };
}
