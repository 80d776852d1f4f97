import type { CallToolResult, ServerNotification, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../core/log.js';
import type { RunTracker } from '../runs/tracker.js';
import type { CallLinks } from './call-links.js';
import type { Catalog } from './catalog.js';
import { identifiedSchema } from './envelope.js';
import type { Principal, ToolScopes } from './principal.js';
import type { TaskBackend } from './tasks.js';
import type { SchemaSetting } from './portable.js';

export type Toolset = 'workflows' | 'runs' | 'generic';

/** What handlers may use: the shared parts, never the server object. */
export interface McpDeps {
  catalog: Catalog;
  tracker: RunTracker;
  log: Logger;
  settings: { waitSeconds: number; readOnly: boolean; tools: 'full' | 'compact'; toolsets: readonly Toolset[]; maxTools: number; toolScopes?: ToolScopes; schemas?: SchemaSetting };
  version: string;
  /** Aborts when the server is shutting down: waits end early and answer with the run as it is. */
  stopping: AbortSignal;
  /** Masks every configured secret in a value leaving the server. */
  redact<T>(value: T): T;
  /** MCP tasks of every connection (this process's, or shared by replicas). */
  tasks: TaskBackend;
  /** Calls in flight recorded for the replica that adopts their run (PostgreSQL only). */
  calls?: CallLinks;
}

export interface CallContext {
  deps: McpDeps;
  /** Who is calling: the runs it may see and act on, the tools it may use. */
  principal: Principal;
  signal: AbortSignal;
  /** Present when the client asked for progress. */
  progressToken: string | number | undefined;
  sendNotification(n: ServerNotification): Promise<void>;
  /** The client's roots as local folders, when it offers the capability; else null. */
  clientRoots(): Promise<string[] | null>;
  /** True once the connection is closing: an abort then means "detach", not "cancel". */
  closing(): boolean;
  /** How long a call that starts a run waits for it; the server's wait budget when absent (a task waits to the end). */
  waitMs?: number;
  /** Told the run the call waits on (a task records it, so the task can follow the run to another replica). */
  onRun?: (run: { provider: string; runId: string }, timeoutMs?: number) => void;
}

/** The wait budget of a call that starts a run. */
export function waitBudgetMs(ctx: CallContext): number {
  return ctx.waitMs ?? ctx.deps.settings.waitSeconds * 1000;
}

export interface StaticTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  toolset: Exclude<Toolset, 'workflows'>;
  input: S;
  outputSchema?: Record<string, unknown>;
  annotations: Required<Pick<NonNullable<Tool['annotations']>, 'readOnlyHint' | 'idempotentHint' | 'openWorldHint'>> & { destructiveHint?: boolean };
  /** Listed only when this says so (a platform-specific tool with no such platform configured). */
  available?(deps: McpDeps): boolean;
  handler(args: z.output<S>, ctx: CallContext): Promise<CallToolResult>;
}

export function defineTool<S extends z.ZodObject>(tool: StaticTool<S>): StaticTool<S> {
  return tool;
}

const described = new WeakMap<StaticTool, Tool>();
let builds = 0;

/**
 * The tools/list entry of a static tool. A static tool never changes, so it is described once
 * per process: `z.toJSONSchema` on every call or list was a third of the server's CPU.
 */
export function describeStaticTool(t: StaticTool): Tool {
  const hit = described.get(t);
  if (hit) return hit;
  builds++;
  // No `$schema`: zod writes 2020-12, which is what MCP assumes when a schema names none.
  const { $schema: _dialect, ...inputSchema } = z.toJSONSchema(t.input, { io: 'input' }) as Tool['inputSchema'];
  const tool: Tool = {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema,
    ...(t.outputSchema ? { outputSchema: identifiedSchema(t.outputSchema) as unknown as Tool['outputSchema'] } : {}),
    annotations: listedAnnotations(t.annotations),
  };
  described.set(t, tool);
  return tool;
}

/**
 * The hints as listed: `readOnlyHint` and `idempotentHint` only when true (false is the spec
 * default and what any client reads from a missing hint); `destructiveHint` and `openWorldHint`
 * as given (their spec default is true). No `title`: the tool's own `title` comes first for clients.
 */
function listedAnnotations(a: StaticTool['annotations']): Tool['annotations'] {
  const { readOnlyHint, idempotentHint, ...rest } = a;
  return { ...(readOnlyHint ? { readOnlyHint } : {}), ...(idempotentHint ? { idempotentHint } : {}), ...rest };
}

/** How many static tool descriptions were built in this process (tests check they are reused). */
export function staticToolBuilds(): number {
  return builds;
}

/** zod issues as `field: message`, the same shape as workflow argument errors. */
export function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(arguments)'}: ${i.message}`);
}
