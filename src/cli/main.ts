import { isWorkflowError, internalDetail, WorkflowError } from '../core/errors.js';
import { LEVELS, type Level } from '../core/log.js';
import { packageVersion } from '../core/version.js';
import type { App } from '../serve/app.js';
import { flagNumber, flagString, parseArgs, type ParsedArgs } from './args.js';
import type { CliIo } from './commands.js';
import { COMMAND_NAMES, helpText } from './spec.js';

export interface CliEnv extends CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
}

/** The whole command line; returns the exit code (0 ok, 1 run failed, 2 usage/config error). */
export async function runCli(argv: readonly string[], io: CliEnv): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    return fail(io, err, false);
  }
  const json = args.flags.has('json');
  if (args.flags.has('version')) return (io.stdout(`${packageVersion()}\n`), 0);
  const command = args.positionals[0] ?? 'serve';
  if (!COMMAND_NAMES.includes(command)) return fail(io, usage(`unknown command "${command}"; commands: ${COMMAND_NAMES.join(', ')}`), json);
  if (args.flags.has('help') || command === 'help') {
    // `call --help` and `help call` show that command; `--help` and `help` the whole CLI.
    const topic = command === 'help' ? args.positionals[1] : args.positionals[0];
    if (topic !== undefined && !COMMAND_NAMES.includes(topic)) return fail(io, usage(`unknown command "${topic}"; commands: ${COMMAND_NAMES.join(', ')}`), json);
    return (io.stdout(helpText(packageVersion(), topic === 'help' ? undefined : topic)), 0);
  }
  let app: App | undefined;
  try {
    const logLevel = flagString(args, 'log-level');
    if (logLevel !== undefined && !LEVELS.includes(logLevel as Level)) throw usage(`--log-level must be one of ${LEVELS.join(', ')}`);
    const tools = flagString(args, 'tools');
    if (tools !== undefined && tools !== 'full' && tools !== 'compact') throw usage('--tools must be "full" or "compact"');
    // The serving graph and the app start loading now, beside the config: the module loader's
    // file reads overlap with compiling. Awaited below; until then a failure must not go unhandled.
    const serving = command === 'serve' ? (args.flags.has('http') ? import('../serve/http.js') : import('../serve/stdio.js')) : null;
    const appModule = import('../serve/app.js');
    for (const p of [serving, appModule]) p?.catch(() => {});
    const { envFlag, loadConfig } = await import('../config/load.js');
    const loaded = loadConfig({
      env: io.env,
      cwd: io.cwd,
      flags: {
        config: flagString(args, 'config'), local: flagString(args, 'local'), stateDir: flagString(args, 'state-dir'),
        readOnly: args.flags.has('read-only') ? true : undefined, waitSeconds: flagNumber(args, 'wait-seconds', { min: 0, max: 3600 }),
        tools: tools as 'full' | 'compact' | undefined, logLevel: logLevel as Level | undefined,
        httpHost: flagString(args, 'host'), httpPort: flagNumber(args, 'port', { min: 0, max: 65535 }), stateless: args.flags.has('stateless') ? true : undefined,
        webhookPort: flagNumber(args, 'webhook-port', { min: 0, max: 65535 }),
      },
    });
    const quiet = command !== 'serve' && logLevel === undefined && !io.env['WORKFLOWS_MCP_LOG_LEVEL'];
    // One-shot commands keep stderr for what the user asked for; warnings still show.
    const config = quiet ? { ...loaded.config, logLevel: 'warning' as const } : loaded.config;
    // Loaded only past --version and --help (they answer at once), and stdio never loads the HTTP
    // stack. Both graphs are in before the app reads workflow files: one may need resolve hooks,
    // and on Node 20 every import after those waits on their thread.
    await serving;
    const commands = command === 'serve' ? null : await import('./commands.js');
    const { createApp } = await appModule;
    app = await createApp({ config, secrets: loaded.secrets, live: command === 'serve', writeLog: io.stderr });
    switch (command) {
      case 'serve':
        await (args.flags.has('http') || (!args.flags.has('stdio') && envFlag(io.env, 'WORKFLOWS_MCP_HTTP')) ? serveHttpUntilSignal(app, io) : (await import('../serve/stdio.js')).serveStdio(app));
        return 0;
      case 'list':
        return await commands!.listCommand(app, args, io);
      case 'call':
        return await commands!.callCommand(app, args, io);
      case 'runs':
        return await commands!.runsCommand(app, args, io);
      default:
        return await (await import('./doctor.js')).doctorCommand(app, loaded.file, io);
    }
  } catch (err) {
    return fail(io, err, json, app);
  } finally {
    await app?.close();
  }
}

/** Serves HTTP until SIGINT/SIGTERM, then shuts down gracefully. */
async function serveHttpUntilSignal(app: App, io: CliEnv): Promise<void> {
  const { serveHttp } = await import('../serve/http.js');
  const handle = await serveHttp(app);
  io.stderr(`workflows-mcp: MCP endpoint ${handle.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      app.log.info(`stopping (${sig}): no new requests; in-flight calls answer with their runs as they are`);
      void handle.close().then(resolve);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

function usage(message: string): WorkflowError {
  return new WorkflowError('usage', message);
}

function fail(io: CliIo, err: unknown, json: boolean, app?: App): number {
  const code = isWorkflowError(err) ? err.code : 'internal';
  const mcpInvalid = (err as { code?: unknown }).code === -32602;
  const message = app ? app.redactor.redact((err as Error).message) : (err as Error).message;
  if (code === 'internal' && !mcpInvalid) {
    io.stderr(json ? `${JSON.stringify({ error: { code, message: internalDetail(err) } })}\n` : `workflows-mcp: unexpected error: ${internalDetail(err)}\n`);
    return 1;
  }
  const shown = mcpInvalid ? message.replace(/^(MCP error -32602: )+/, '') : message;
  io.stderr(json ? `${JSON.stringify({ error: { code: mcpInvalid ? 'usage' : code, message: shown } })}\n` : `workflows-mcp: ${code === 'config' ? 'config error:\n  ' : ''}${shown.split('\n').join('\n  ')}\n`);
  return code === 'config' || code === 'usage' || mcpInvalid ? 2 : 1;
}
