import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CompleteRequestSchema, ErrorCode, ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ListToolsRequestSchema,
  McpError, ReadResourceRequestSchema, SetLevelRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema,
  type CallToolResult, type CreateTaskResult, type LoggingLevel, type RequestId, type ServerNotification, type ServerRequest, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { fileURLToPath } from 'node:url';
import { internalDetail } from '../core/errors.js';
import { levelAtLeast } from '../core/log.js';
import { callLink } from './call-links.js';
import { invalidArguments, startAndAwait } from './call.js';
import { FRESH_WAIT_MS, type WorkflowEntry } from './catalog.js';
import { guardTransport, pageEnd } from './guard.js';
import { dispatchByKind, setCallToolHandler } from './lean-dispatch.js';
import { errorResult, runUri } from './envelope.js';
import { LOCAL_PRINCIPAL, maySee, missingScopes, toolRefusal, type Principal } from './principal.js';
import { RunTaskStore, startTask } from './tasks.js';
import { complete, listResources, readResource, TEMPLATES, workflowRunsUri } from './resources.js';
import { decodeJsonArgs, portableSchema, schemaModeFor } from './portable.js';
import { describeStaticTool, zodProblems, type CallContext, type McpDeps, type StaticTool } from './tool.js';
import { STATIC_TOOLS } from './tools/index.js';

const INSTRUCTIONS = `Each workflow tool starts a real run of that workflow and waits for it within a time budget.
If the result has status "running", the run goes on in the background: call wait_for_run with its provider and run_id (do not start it again).
Status "waiting" means the run waits for a person. get_run, list_runs and the workflows://runs/... resources show runs at any time.
When a workflow's own tool is not listed, find it with search_workflows and start it with run_workflow.`;
const TOOLS_PAGE = 500;
/** At most one notifications/resources/list_changed a second per connection. */
const LIST_CHANGED_EVERY_MS = 1000;

export interface McpConnection {
  server: Server;
  /** Connects with the one guard the SDK needs: a closing connection must detach runs, not cancel them. */
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** Whether this server lists only the generic and runs tools. */
export function isCompact(deps: McpDeps): boolean {
  return deps.settings.tools === 'compact' || deps.catalog.tools.length > deps.settings.maxTools;
}

/** Tools that start a run may also be called as MCP tasks. */
const TASK_TOOLS = new Set(['run_workflow', 'replay_run']);
const asTask = (t: Tool): Tool => ({ ...t, execution: { taskSupport: 'optional' } });
const staticAsTask = new WeakMap<Tool, Tool>();
/** The workflow tools as tasks, built once per catalog build (the catalog replaces its list on change). */
const workflowsAsTasks = new WeakMap<readonly WorkflowEntry[], Tool[]>();

function listedStatics(deps: McpDeps): StaticTool[] {
  const { toolsets, readOnly } = deps.settings;
  return STATIC_TOOLS.filter((t) => toolsets.includes(t.toolset) && (!readOnly || t.annotations.readOnlyHint) && (t.available?.(deps) ?? true));
}

function listsWorkflows(deps: McpDeps): boolean {
  return deps.settings.toolsets.includes('workflows') && !deps.settings.readOnly && !isCompact(deps);
}

/** The tools `principal` sees: toolsets, read-only mode and `toolScopes` decide. */
export function listedTools(deps: McpDeps, tasks = true, principal: Principal = LOCAL_PRINCIPAL): Tool[] {
  const { toolScopes } = deps.settings;
  const all = allListed(deps, tasks);
  return toolScopes ? all.filter((t) => missingScopes(principal, t.name, toolScopes).length === 0) : all;
}

/** Every tool this server lists, before scopes: the descriptions are built once, not per list. */
function allListed(deps: McpDeps, tasks: boolean): Tool[] {
  const statics = listedStatics(deps).map(describeStaticTool);
  const entries = deps.catalog.tools;
  if (!tasks) return [...(listsWorkflows(deps) ? entries.map((e) => e.tool) : []), ...statics];
  let workflows: Tool[] = [];
  if (listsWorkflows(deps)) {
    workflows = workflowsAsTasks.get(entries) ?? entries.map((e) => asTask(e.tool));
    workflowsAsTasks.set(entries, workflows);
  }
  return [...workflows, ...statics.map((t) => (TASK_TOOLS.has(t.name) ? taskVariant(t) : t))];
}

function taskVariant(t: Tool): Tool {
  const hit = staticAsTask.get(t) ?? asTask(t);
  staticAsTask.set(t, hit);
  return hit;
}

/** Whether the static tool `name` is on this server's list (scopes aside), without building the list. */
function isListedStatic(deps: McpDeps, name: string): boolean {
  return listedStatics(deps).some((t) => t.name === name);
}

/** Whether `principal` may call `name` as a task. */
function taskCapable(deps: McpDeps, name: string, principal: Principal): boolean {
  const { toolScopes } = deps.settings;
  if (toolScopes && missingScopes(principal, name, toolScopes).length > 0) return false;
  if (TASK_TOOLS.has(name)) return isListedStatic(deps, name);
  return listsWorkflows(deps) && deps.catalog.entry(name) !== undefined;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * `tasks: false` where a connection lasts one request (stateless HTTP): a task could never be read back.
 * `principal`: who the connection belongs to (the local user unless HTTP says otherwise); a request
 * may carry its own (`authInfo.extra.principal`, set by the HTTP layer from its verified token,
 * with the same id and perhaps fresher scopes). `streamOf`: the SSE stream a request's answer goes
 * to (stateful HTTP), so a call in flight can be answered by another replica.
 */
export function createMcpServer(deps: McpDeps, opts: { tasks?: boolean; principal?: Principal; streamOf?: (requestId: RequestId) => string | undefined } = {}): McpConnection {
  const withTasks = opts.tasks ?? true;
  const owner = opts.principal ?? LOCAL_PRINCIPAL;
  const who = (extra: Extra): Principal => (extra.authInfo?.extra?.['principal'] as Principal | undefined) ?? owner;
  const taskStore = withTasks ? new RunTaskStore(deps.tasks, deps.tracker.owner, (run) => deps.tracker.recorded(run.provider, run.runId)) : undefined;
  const server = new Server(
    { name: 'workflows-mcp', title: 'Workflows', version: deps.version },
    {
      // Tasks: no `list` (tasks are bound to no auth context; their ids are unguessable instead).
      capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, completions: {}, logging: {}, ...(withTasks ? { tasks: { cancel: {}, requests: { tools: { call: {} } } } } : {}) },
      instructions: INSTRUCTIONS,
      ...(taskStore ? { taskStore } : {}),
      debouncedNotificationMethods: ['notifications/tools/list_changed', 'notifications/resources/list_changed'],
    },
  );
  let closing = false;
  let connected = false;
  let logLevel: LoggingLevel = 'warning';
  let warnedCompact = false;
  const subscriptions = new Set<string>();
  /** roots/list, asked only of clients that declare roots; file:// URIs become folders. */
  const clientRoots = async (): Promise<string[] | null> => {
    if (!server.getClientCapabilities()?.roots) return null;
    try {
      const { roots } = await server.listRoots(undefined, { timeout: 5000 });
      return roots.filter((r) => r.uri.startsWith('file://')).map((r) => fileURLToPath(r.uri));
    } catch (err) {
      deps.log.warn(`the client offers roots, but roots/list failed (${(err as Error).message}); using files.roots`);
      return null;
    }
  };
  const seenRuns = new Set<string>();

  server.setRequestHandler(ListToolsRequestSchema, async (req, extra) => {
    if (!warnedCompact && deps.settings.tools !== 'compact' && isCompact(deps)) {
      warnedCompact = true;
      deps.log.warn(`the catalog has ${deps.catalog.tools.length} workflow tools, over maxTools (${deps.settings.maxTools}); listing only run_workflow, search_workflows and the runs tools`);
    }
    const listed = listedTools(deps, withTasks, who(extra));
    // Per connection: `auto` gives the portable form to clients known to mangle full schemas.
    const portable = schemaModeFor(deps.settings.schemas ?? 'auto', server.getClientVersion()) === 'portable';
    const all = portable ? listed.map((t) => ({ ...t, inputSchema: portableSchema(t.inputSchema) as Tool['inputSchema'] })) : listed;
    const start = req.params?.cursor === undefined ? 0 : Number.parseInt(Buffer.from(req.params.cursor, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0 || start > all.length) throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor');
    const end = pageEnd(all, start, TOOLS_PAGE); // by count, and by size: big schemas make shorter pages
    return { tools: all.slice(start, end), ...(end < all.length ? { nextCursor: Buffer.from(String(end)).toString('base64url') } : {}) };
  });

  setCallToolHandler(server, async (req, extra): Promise<CallToolResult | CreateTaskResult> => {
    const { name, arguments: args } = req.params;
    if (!req.params.task) {
      const streamId = deps.calls && extra.sessionId !== undefined ? opts.streamOf?.(extra.requestId) : undefined;
      if (!deps.calls || streamId === undefined) return deps.redact(await callTool(name, args, extra));
      // Recorded while it waits on a run, so the replica adopting the run answers it if this one dies.
      const link = callLink(deps.calls, { sessionId: extra.sessionId!, streamId, requestId: extra.requestId, progressToken: extra._meta?.progressToken, principal: who(extra).id }, deps.tracker.owner, deps.log, (provider, runId) => deps.tracker.recorded(provider, runId));
      try {
        return deps.redact(await callTool(name, args, extra, { onRun: link.onRun }));
      } finally {
        link.done();
      }
    }
    if (!taskStore || !taskCapable(deps, name, who(extra))) throw new McpError(ErrorCode.MethodNotFound, `Tool ${name} cannot be called as a task; call it without "task".`);
    return startTask(taskStore, extra, deps.log, async (overrides) => deps.redact(await callTool(name, args, extra, overrides)));
  });
  const callTool = async (name: string, args: Record<string, unknown> | undefined, extra: Extra, overrides: Partial<CallContext> = {}): Promise<CallToolResult> => {
    const principal = who(extra);
    // A tool the token may not use is refused before anything else: not validated, not started.
    const refused = toolRefusal(principal, name, deps.settings.toolScopes);
    if (refused) return errorResult(refused);
    const ctx: CallContext = { deps, principal, signal: extra.signal, progressToken: extra._meta?.progressToken, sendNotification: extra.sendNotification, closing: () => closing, clientRoots, ...overrides };
    try {
      const stat = STATIC_TOOLS.find((t) => t.name === name);
      // Scopes were checked above; whether a static tool is listed is asked only for static tools.
      if (stat && isListedStatic(deps, name)) return await callStatic(stat, args, ctx);
      const listedEntry = deps.catalog.entry(name);
      if (listedEntry && !deps.settings.readOnly && deps.settings.toolsets.includes('workflows')) {
        const stale = await deps.catalog.whenFresh(listedEntry.workflow.provider, FRESH_WAIT_MS, listedEntry.workflow);
        if (stale) return errorResult(stale);
        const entry = deps.catalog.entry(name); // as the platform lists it now
        if (!entry) return errorResult(`The workflow behind tool "${name}" is no longer in the catalog. List the tools again, or use search_workflows.`);
        const workflow = deps.catalog.workflow(entry.workflow.provider, entry.workflow.id) ?? entry.workflow;
        const version = workflow.versions.find((v) => v.key === (entry.pinned ?? workflow.latest));
        if (!version) return errorResult(`Version ${entry.pinned} of ${workflow.id} is no longer available; list the tools again.`);
        return await startAndAwait(ctx, { workflow, version, prepared: entry.prepared, toolName: name }, args ?? {});
      }
      if (deps.catalog.vanished(name)) return errorResult(`The workflow behind tool "${name}" is no longer in the catalog (it was removed or renamed). List the tools again, or use search_workflows.`);
    } catch (err) {
      deps.log.error(`tool ${name} failed: ${internalDetail(err)}`);
      throw new McpError(ErrorCode.InternalError, 'Internal error in workflows-mcp; the server log has the details.');
    }
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}. List the tools to see what this server offers.`);
  };

  server.setRequestHandler(ListResourcesRequestSchema, async (req, extra) => listResources(deps, who(extra), req.params?.cursor));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: TEMPLATES }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => deps.redact(await readResource(deps, who(extra), req.params.uri)));
  server.setRequestHandler(SubscribeRequestSchema, async (req) => (subscriptions.add(req.params.uri), {}));
  server.setRequestHandler(UnsubscribeRequestSchema, async (req) => (subscriptions.delete(req.params.uri), {}));
  server.setRequestHandler(CompleteRequestSchema, async (req, extra) => {
    const ref = req.params.ref;
    if (ref.type !== 'ref/resource') throw new McpError(ErrorCode.InvalidParams, 'This server has no prompts to complete.');
    return { completion: await complete(deps, who(extra), ref.uri, req.params.argument.name, req.params.argument.value, req.params.context?.arguments ?? {}) };
  });
  server.setRequestHandler(SetLevelRequestSchema, async (req) => ((logLevel = req.params.level), {}));

  // The server log speaks of every principal's runs: only admins' connections receive it.
  const stopLog = deps.log.addSink((r) => {
    if (!owner.admin || !connected || closing || !levelAtLeast(r.level, logLevel)) return;
    void server.sendLoggingMessage({ level: r.level, logger: 'workflows-mcp', data: Object.keys(r.fields).length ? { message: r.message, ...r.fields } : r.message }).catch(() => {});
  });
  const stopTools = deps.catalog.onChange(() => {
    if (connected && !closing) void server.sendToolListChanged().catch(() => {});
  });
  // New runs change the resource list: said at once, then at most once a second — a burst of a
  // thousand runs is one list to read again, not a thousand events on every session's stream.
  let listChanged: NodeJS.Timeout | null = null;
  let listChangedAt = 0;
  const resourceListChanged = (): void => {
    if (listChanged) return;
    listChanged = setTimeout(() => {
      listChanged = null;
      listChangedAt = Date.now();
      if (connected && !closing) void server.sendResourceListChanged().catch(() => {});
    }, Math.max(0, listChangedAt + LIST_CHANGED_EVERY_MS - Date.now()));
    listChanged.unref();
  };
  // Only changes of runs this connection's principal may see: another's run is as silent as an unknown one.
  const stopRuns = deps.tracker.onChange((run) => {
    if (!connected || closing || !maySee(owner, run.startedBy)) return;
    const key = `${run.provider}/${run.runId}`;
    if (!seenRuns.has(key)) {
      seenRuns.add(key);
      if (seenRuns.size > 10_000) seenRuns.clear();
      resourceListChanged();
    }
    if (subscriptions.size === 0) return; // most connections subscribe to nothing: no URIs to build per change
    for (const uri of [runUri(run.provider, run.runId), workflowRunsUri(run.provider, run.workflowId)]) {
      if (subscriptions.has(uri)) void server.sendResourceUpdated({ uri }).catch(() => {});
    }
  });

  return {
    server,
    async connect(transport) {
      const previous = transport.onclose;
      transport.onclose = () => {
        closing = true; // runs before the SDK aborts in-flight handlers
        previous?.();
      };
      await server.connect(transport);
      // Messages that pass the guards go to the Protocol's handler for their kind (lean-dispatch.ts).
      if (transport.onmessage) transport.onmessage = dispatchByKind(server, transport.onmessage);
      guardTransport(transport, deps.log);
      connected = true;
    },
    async close() {
      closing = true;
      stopLog();
      stopTools();
      stopRuns();
      if (listChanged) clearTimeout(listChanged);
      taskStore?.close();
      await server.close();
    },
  };
}

async function callStatic(tool: StaticTool, args: unknown, ctx: CallContext): Promise<CallToolResult> {
  const parsed = tool.input.safeParse(decodeJsonArgs(describeStaticTool(tool).inputSchema, (args ?? {}) as Record<string, unknown>));
  if (!parsed.success) return invalidArguments(tool.name, zodProblems(parsed.error));
  return tool.handler(parsed.data, ctx);
}
