/** The command line as data: the parser, --help and the README reference all read it. */
export interface FlagSpec {
  name: string;
  value?: string;
  help: string;
}

export interface CommandSpec {
  usage: string;
  help: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { usage: 'serve [--stdio]', help: 'Serve MCP over stdio (the default command).' },
  { usage: 'serve --http [--host H] [--port P] [--stateless]', help: 'Serve MCP over Streamable HTTP at http://H:P/mcp (default 127.0.0.1:3333). Binding beyond loopback needs WORKFLOWS_MCP_TOKEN.' },
  { usage: 'list [--json]', help: 'The tools the server would list, with their titles.' },
  { usage: "call <tool> --input '{…}' [--json]", help: 'Run one tool: progress on stderr, the run envelope on stdout. Waits for the end; Ctrl-C cancels the run.' },
  { usage: 'runs list [--provider P] [--workflow W] [--status S] [--limit N] [--cursor C] [--json]', help: 'Runs from the journal, newest first.' },
  { usage: 'runs get <provider> <run_id>', help: "One run's envelope (a workflows://runs/… URI works too)." },
  { usage: 'runs wait <provider> <run_id> [--timeout S]', help: 'Wait for a run to end and print its envelope.' },
  { usage: 'runs cancel <provider> <run_id>', help: 'Cancel a run, also one started by another workflows-mcp process.' },
  { usage: 'doctor', help: 'Check config, the state folder, and each provider; exit 1 when something is wrong.' },
];

export const FLAGS: readonly FlagSpec[] = [
  { name: 'config', value: 'FILE', help: 'Config file (default ./workflows-mcp.config.json when present).' },
  { name: 'local', value: 'DIR', help: 'Folder of local workflows (default ./workflows).' },
  { name: 'state-dir', value: 'DIR', help: 'Where runs.db lives (default $WORKFLOWS_MCP_STATE_DIR or ~/.local/state/workflows-mcp).' },
  { name: 'read-only', help: 'List only read-only tools (runs, search); no workflow can be started.' },
  { name: 'wait-seconds', value: 'N', help: 'How long a tool call waits for its run before returning status "running" (default 60).' },
  { name: 'tools', value: 'full|compact', help: 'compact lists only run_workflow, search_workflows and the runs tools.' },
  { name: 'log-level', value: 'LEVEL', help: 'stderr log level: debug, info, notice, warning, error (default info).' },
  { name: 'input', value: 'JSON|@FILE|-', help: 'call: the arguments, as JSON text, a file, or stdin.' },
  { name: 'json', help: 'Machine-readable output (one JSON value).' },
  { name: 'provider', value: 'P', help: 'runs list: only this provider.' },
  { name: 'workflow', value: 'W', help: 'runs list: only this workflow id.' },
  { name: 'status', value: 'S', help: 'runs list: only runs with this status.' },
  { name: 'limit', value: 'N', help: 'runs list: at most N runs (default 20).' },
  { name: 'cursor', value: 'C', help: 'runs list: continue after a previous page.' },
  { name: 'timeout', value: 'S', help: 'runs wait: give up after S seconds (default: wait for the end).' },
  { name: 'stdio', help: 'serve: over stdin/stdout (the default).' },
  { name: 'http', help: 'serve: over Streamable HTTP instead.' },
  { name: 'host', value: 'H', help: 'serve --http: address to bind (default 127.0.0.1).' },
  { name: 'port', value: 'P', help: 'serve --http: port (default 3333; 0 picks a free one).' },
  { name: 'stateless', help: 'serve --http: no sessions (no subscriptions or list_changed pushes).' },
  { name: 'webhook-port', value: 'P', help: 'serve: receive platform webhooks (Leap) on this port; set WORKFLOWS_MCP_WEBHOOK_URL to the public URL a tunnel gives it.' },
  { name: 'help', help: 'Show this help.' },
  { name: 'version', help: 'Print the version.' },
];

export const EXIT_CODES: ReadonlyArray<[number, string]> = [
  [0, 'success (for call: the run completed, or is still running/waiting after --wait-seconds)'],
  [1, 'the run failed or was cancelled, a tool returned an error, or doctor found a problem'],
  [2, 'usage or configuration error (unknown command or flag, bad config, invalid arguments, unknown tool)'],
];

export function helpText(version: string): string {
  const flagWidth = Math.max(...FLAGS.map((f) => `--${f.name}${f.value ? ` ${f.value}` : ''}`.length)) + 2;
  return [
    `workflows-mcp ${version} — your workflows as MCP tools`,
    '',
    'Usage: workflows-mcp [command] [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  workflows-mcp ${c.usage}\n      ${c.help}`),
    '',
    'Flags:',
    ...FLAGS.map((f) => `  ${`--${f.name}${f.value ? ` ${f.value}` : ''}`.padEnd(flagWidth)}${f.help}`),
    '',
    'Exit codes:',
    ...EXIT_CODES.map(([code, text]) => `  ${code}  ${text}`),
    '',
  ].join('\n');
}
