/** The command line as data: the parser, --help and the README reference all read it. */
export interface FlagSpec {
  name: string;
  value?: string;
  help: string;
  /** The commands it applies to (`runs` covers `runs list` etc.); absent: every command that loads config. */
  for?: readonly string[];
  /** The environment variable that sets it when the flag is absent (`serve` reads these). */
  env?: string;
}

export interface CommandSpec {
  /** The command word, for `<command> --help` and `help <command>`. */
  name: string;
  usage: string;
  help: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'serve', usage: 'serve [--stdio]', help: 'Serve MCP over stdio (the default command).' },
  { name: 'serve', usage: 'serve --http [--host H] [--port P] [--stateless]', help: 'Serve MCP over Streamable HTTP at http://H:P/mcp (default 127.0.0.1:3333). Binding beyond loopback needs WORKFLOWS_MCP_TOKEN.' },
  { name: 'list', usage: 'list [--json]', help: 'The tools the server would list, with their titles.' },
  { name: 'call', usage: "call <tool> --input '{…}' [--json]", help: "Call one tool: progress on stderr, its answer on stdout (for a workflow, the run envelope). Waits for the run's end; Ctrl-C cancels it. With --wait-seconds N a platform run (Looply, Cortex, Leap) still going after N s is printed as \"running\" and goes on there (runs wait picks it up); a local run lives in this process, so call always waits for it." },
  { name: 'runs', usage: 'runs list [--provider P] [--workflow W] [--status S] [--limit N] [--cursor C] [--json]', help: 'Runs from the journal, newest first.' },
  { name: 'runs', usage: 'runs get <provider> <run_id>', help: "One run's envelope (a workflows://runs/… URI works too)." },
  { name: 'runs', usage: 'runs wait <provider> <run_id> [--timeout S]', help: 'Wait for a run to end and print its envelope.' },
  { name: 'runs', usage: 'runs cancel <provider> <run_id>', help: 'Cancel a run, also one started by another workflows-mcp process.' },
  { name: 'doctor', usage: 'doctor', help: 'Check config, the state folder and SQLite engine, and each provider; exit 1 when something is wrong.' },
  { name: 'help', usage: 'help [command]', help: "This help, or one command's (same as <command> --help)." },
];

const SERVE = ['serve'];
const RUNS_LIST = ['runs'];

export const FLAGS: readonly FlagSpec[] = [
  { name: 'config', value: 'FILE', env: 'WORKFLOWS_MCP_CONFIG', help: 'Config file (default ./workflows-mcp.config.json when present).' },
  { name: 'local', value: 'DIR', env: 'WORKFLOWS_MCP_LOCAL_DIR', help: 'Folder of local workflows (default ./workflows).' },
  { name: 'state-dir', value: 'DIR', env: 'WORKFLOWS_MCP_STATE_DIR', help: 'Where runs.db lives (default $XDG_STATE_HOME/workflows-mcp or ~/.local/state/workflows-mcp).' },
  { name: 'read-only', env: 'WORKFLOWS_MCP_READ_ONLY', help: 'List only read-only tools (runs, search); no workflow can be started.' },
  { name: 'wait-seconds', value: 'N', env: 'WORKFLOWS_MCP_WAIT_SECONDS', help: 'How long a tool call waits for its run before returning status "running" (default 60).' },
  { name: 'tools', value: 'full|compact', env: 'WORKFLOWS_MCP_TOOLS', help: 'compact lists only run_workflow, search_workflows and the runs tools.' },
  { name: 'log-level', value: 'LEVEL', env: 'WORKFLOWS_MCP_LOG_LEVEL', help: 'stderr log level: debug, info, notice, warning, error (default info).' },
  { name: 'input', value: 'JSON|@FILE|-', for: ['call'], help: 'call: the arguments, as JSON text, a file, or stdin.' },
  { name: 'json', for: ['list', 'call', 'runs'], help: 'Machine-readable output (one JSON value).' },
  { name: 'provider', value: 'P', for: RUNS_LIST, help: 'runs list: only this provider.' },
  { name: 'workflow', value: 'W', for: RUNS_LIST, help: 'runs list: only this workflow id.' },
  { name: 'status', value: 'S', for: RUNS_LIST, help: 'runs list: only runs with this status.' },
  { name: 'limit', value: 'N', for: RUNS_LIST, help: 'runs list: at most N runs (default 20).' },
  { name: 'cursor', value: 'C', for: RUNS_LIST, help: 'runs list: continue after a previous page.' },
  { name: 'timeout', value: 'S', for: RUNS_LIST, help: 'runs wait: give up after S seconds (default: wait for the end).' },
  { name: 'stdio', for: SERVE, help: 'serve: over stdin/stdout (the default; wins over WORKFLOWS_MCP_HTTP).' },
  { name: 'http', for: SERVE, env: 'WORKFLOWS_MCP_HTTP', help: 'serve: over Streamable HTTP instead.' },
  { name: 'host', value: 'H', for: SERVE, env: 'WORKFLOWS_MCP_HOST', help: 'serve --http: address to bind (default 127.0.0.1).' },
  { name: 'port', value: 'P', for: SERVE, env: 'WORKFLOWS_MCP_PORT', help: 'serve --http: port (default 3333; 0 picks a free one).' },
  { name: 'stateless', for: SERVE, env: 'WORKFLOWS_MCP_STATELESS', help: 'serve --http: no sessions (no subscriptions or list_changed pushes).' },
  { name: 'webhook-port', value: 'P', for: SERVE, env: 'WORKFLOWS_MCP_WEBHOOK_PORT', help: 'serve: receive platform webhooks (Leap) on this port; set WORKFLOWS_MCP_WEBHOOK_URL to the public URL a tunnel gives it.' },
  { name: 'help', help: 'Show this help (`<command> --help` or `help <command>`: that command only).' },
  { name: 'version', help: 'Print the version.' },
];

export const EXIT_CODES: ReadonlyArray<[number, string]> = [
  [0, 'success (for call: the run completed, or is still running/waiting after --wait-seconds)'],
  [1, 'the run failed or was cancelled, a tool returned an error, or doctor found a problem'],
  [2, 'usage or configuration error (unknown command or flag, bad config, invalid arguments, unknown tool)'],
];

const flagLabel = (f: FlagSpec): string => `--${f.name}${f.value ? ` ${f.value}` : ''}`;

/** The global help, or one command's: its usages and the flags that apply to it. */
export function helpText(version: string, command?: string): string {
  const commands = command ? COMMANDS.filter((c) => c.name === command) : COMMANDS;
  const flags = command ? FLAGS.filter((f) => !f.for || f.for.includes(command)) : FLAGS;
  const flagWidth = Math.max(...flags.map((f) => flagLabel(f).length)) + 2;
  return [
    `workflows-mcp ${version} — your workflows as MCP tools`,
    '',
    `Usage: workflows-mcp ${command ?? '[command]'} [flags]`,
    '',
    'Commands:',
    ...commands.map((c) => `  workflows-mcp ${c.usage}\n      ${c.help}`),
    '',
    'Flags:',
    ...flags.map((f) => `  ${flagLabel(f).padEnd(flagWidth)}${f.help}`),
    '',
    ...(command ? [] : ['Every serve flag can also be set in the environment (flags win):', ...FLAGS.filter((f) => f.env).map((f) => `  ${f.env}${f.value ? '' : '=1'}  (${flagLabel(f)})`), '']),
    'Exit codes:',
    ...EXIT_CODES.map(([code, text]) => `  ${code}  ${text}`),
    '',
  ].join('\n');
}

/** Command words, for dispatch and `help <command>`. */
export const COMMAND_NAMES: readonly string[] = [...new Set(COMMANDS.map((c) => c.name))];
