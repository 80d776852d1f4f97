import { WorkflowError } from '../core/errors.js';
import { FLAGS } from './spec.js';

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** `--flag value`, `--flag=value` and boolean `--flag`; anything unknown is a usage error. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const known = new Map(FLAGS.map((f) => [f.name, f]));
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') (flags.set('help', true));
    else if (arg === '-V') flags.set('version', true);
    else if (arg === '--') positionals.push(...argv.slice(i + 1)), (i = argv.length);
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const spec = known.get(name);
      if (!spec) throw new WorkflowError('usage', `unknown flag --${name}; see workflows-mcp --help`);
      if (!spec.value) {
        if (eq !== -1) throw new WorkflowError('usage', `--${name} takes no value`);
        flags.set(name, true);
        continue;
      }
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new WorkflowError('usage', `--${name} needs a value (${spec.value})`);
      flags.set(name, value);
    } else positionals.push(arg);
  }
  return { positionals, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagNumber(args: ParsedArgs, name: string, range: { min: number; max: number }): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < range.min || n > range.max) throw new WorkflowError('usage', `--${name} must be a number from ${range.min} to ${range.max}, got "${v}"`);
  return n;
}
