import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WorkflowError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { parseUri } from '../mcp/resources.js';
import type { App } from '../serve/app.js';
import { flagNumber, flagString, type ParsedArgs } from './args.js';
import { CLI_REQUEST_TIMEOUT_MS, withClient } from './client.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  /** Aborts on Ctrl-C. */
  interrupt: AbortSignal;
}

type Envelope = { run_id: string; provider: string; status: string; error: string | null };
const SETTLED = new Set(['completed', 'failed', 'cancelled', 'waiting', 'unknown']);

function envelopeOf(result: CallToolResult): Envelope | null {
  const sc = result.structuredContent;
  return isPlainObject(sc) && typeof sc['run_id'] === 'string' ? (sc as unknown as Envelope) : null;
}

function textOf(result: CallToolResult): string {
  return result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}

function print(io: CliIo, args: ParsedArgs, value: unknown): void {
  io.stdout(`${args.flags.has('json') ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
}

function exitFor(env: Envelope): number {
  return env.status === 'failed' || env.status === 'cancelled' || env.status === 'unknown' ? 1 : 0;
}

export async function listCommand(app: App, args: ParsedArgs, io: CliIo): Promise<number> {
  const tools = await withClient(app, async (c) => (await c.listTools()).tools);
  if (args.flags.has('json')) return (print(io, args, tools), 0);
  const width = Math.max(...tools.map((t) => t.name.length)) + 2;
  io.stdout(`${tools.map((t) => `${t.name.padEnd(width)}${t.title ?? ''}${t.annotations?.readOnlyHint ? '  (read-only)' : ''}`).join('\n')}\n`);
  // A platform that could not be listed has warned already; only files that failed to load are counted.
  const platforms = new Set(app.deps.catalog.providerNames());
  const files = app.deps.catalog.allProblems.filter((p) => !platforms.has(p.where));
  if (files.length) io.stderr(`${files.length} workflow file(s) were not loaded; run workflows-mcp doctor for details\n`);
  return 0;
}

async function readInput(args: ParsedArgs, io: CliIo): Promise<Record<string, unknown>> {
  const raw = flagString(args, 'input');
  if (raw === undefined) return {};
  const text = raw === '-' ? await io.readStdin() : raw.startsWith('@') ? readInputFile(raw.slice(1)) : raw;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WorkflowError('usage', `--input is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(value)) throw new WorkflowError('usage', '--input must be a JSON object, e.g. --input \'{"text": "hello"}\'');
  return value;
}

function readInputFile(path: string): string {
  try {
    return readFileSync(resolve(path), 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    throw new WorkflowError('usage', `--input @${path}: cannot read ${resolve(path)} (${why}); pass JSON text, @FILE or - for stdin`);
  }
}

/** Calls a tool (with progress to stderr), following a long run with wait_for_run to its end. */
export async function callCommand(app: App, args: ParsedArgs, io: CliIo): Promise<number> {
  const name = args.positionals[1];
  if (!name) throw new WorkflowError('usage', "call needs a tool name: workflows-mcp call <tool> --input '{…}' (see workflows-mcp list)");
  const input = await readInput(args, io);
  // A run in this process (local, Lleverage) would die with it: always follow those to the end.
  const detachable = (provider: string): boolean => args.flags.has('wait-seconds') && app.deps.catalog.provider(provider)?.runsOutliveProcess === true;
  return withClient(app, async (client) => {
    let handle: { provider: string; run_id: string } | null = null;
    const options = {
      timeout: CLI_REQUEST_TIMEOUT_MS, resetTimeoutOnProgress: true, signal: io.interrupt,
      onprogress: (p: { message?: string | undefined }) => {
        // The SDK passes the notification's params through, _meta (our run handle) included.
        const meta = (p as { _meta?: Record<string, unknown> })._meta;
        if (meta && typeof meta['run_id'] === 'string' && typeof meta['provider'] === 'string') handle = { provider: meta['provider'], run_id: meta['run_id'] };
        if (p.message) io.stderr(`… ${p.message}\n`);
      },
    };
    let result: CallToolResult;
    try {
      result = (await client.callTool({ name, arguments: input }, undefined, options)) as CallToolResult;
      let env = envelopeOf(result);
      while (env && !SETTLED.has(env.status) && !detachable(env.provider)) {
        result = (await client.callTool({ name: 'wait_for_run', arguments: { provider: env.provider, run_id: env.run_id, timeout_seconds: 300 } }, undefined, options)) as CallToolResult;
        env = envelopeOf(result) ?? env;
      }
    } catch (err) {
      if (!io.interrupt.aborted) throw err;
      return afterInterrupt(client, handle, args, io);
    }
    const env = envelopeOf(result);
    if (!env) {
      if (result.isError) {
        io.stderr(`${textOf(result)}\n`);
        return textOf(result).startsWith('Invalid arguments') ? 2 : 1;
      }
      // A tool that starts no run (search_workflows, list_runs, refresh): its answer is the output.
      if (args.flags.has('json')) print(io, args, result.structuredContent ?? { text: textOf(result) });
      else io.stdout(`${textOf(result)}\n`);
      return 0;
    }
    if (result.isError) io.stderr(`${textOf(result).split('\n')[0]}\n`);
    if (!SETTLED.has(env.status)) io.stderr(`the run is still ${env.status} at ${env.provider}; follow it with: workflows-mcp runs wait ${env.provider} ${env.run_id}\n`);
    print(io, args, env);
    return exitFor(env);
  });
}

/** Ctrl-C during call: the server cancels the run; show how it ended. */
async function afterInterrupt(client: Client, handle: { provider: string; run_id: string } | null, args: ParsedArgs, io: CliIo): Promise<number> {
  io.stderr('interrupted: the run is being cancelled\n');
  if (!handle) return 1;
  const result = (await client.callTool({ name: 'wait_for_run', arguments: { ...handle, timeout_seconds: 10 } })) as CallToolResult;
  const env = envelopeOf(result);
  if (env) print(io, args, env);
  return 1;
}

function runHandle(args: ParsedArgs): { provider: string; run_id: string } {
  const [, , a, b] = args.positionals;
  const parsed = a ? parseUri(a) : null;
  if (parsed?.kind === 'run') return { provider: parsed.provider, run_id: parsed.runId };
  if (!a || !b) throw new WorkflowError('usage', 'name the run: workflows-mcp runs <get|wait|cancel> <provider> <run_id>');
  return { provider: a, run_id: b };
}

export async function runsCommand(app: App, args: ParsedArgs, io: CliIo): Promise<number> {
  const sub = args.positionals[1];
  return withClient(app, async (client) => {
    const call = async (name: string, a: Record<string, unknown>): Promise<CallToolResult> =>
      (await client.callTool({ name, arguments: a }, undefined, { timeout: CLI_REQUEST_TIMEOUT_MS, signal: io.interrupt })) as CallToolResult;
    const finish = (result: CallToolResult): number => {
      const env = envelopeOf(result);
      if (!env) return (io.stderr(`${textOf(result)}\n`), 1);
      print(io, args, env);
      return sub === 'cancel' ? (env.status === 'cancelled' ? 0 : 1) : sub === 'wait' ? exitFor(env) : 0;
    };
    if (sub === 'list') {
      const limit = flagNumber(args, 'limit', { min: 1, max: 100 });
      const filters = { provider: flagString(args, 'provider'), workflow_id: flagString(args, 'workflow'), status: flagString(args, 'status'), cursor: flagString(args, 'cursor'), limit };
      const result = await call('list_runs', Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)));
      if (result.isError) return (io.stderr(`${textOf(result)}\n`), 2);
      if (args.flags.has('json')) print(io, args, result.structuredContent);
      else io.stdout(`${textOf(result)}\n`);
      return 0;
    }
    if (sub === 'get') return finish(await call('get_run', runHandle(args)));
    if (sub === 'cancel') return finish(await call('cancel_run', runHandle(args)));
    if (sub === 'wait') {
      const handle = runHandle(args);
      const limit = flagNumber(args, 'timeout', { min: 0, max: 30 * 86400 });
      const deadline = limit === undefined ? Infinity : Date.now() + limit * 1000;
      let result: CallToolResult;
      do {
        const left = Math.min(300, Math.max(0, (deadline - Date.now()) / 1000));
        result = await call('wait_for_run', { ...handle, timeout_seconds: left });
      } while (envelopeOf(result) && !SETTLED.has(envelopeOf(result)!.status) && Date.now() < deadline);
      return finish(result);
    }
    throw new WorkflowError('usage', 'runs needs a subcommand: list, get, wait or cancel');
  });
}
