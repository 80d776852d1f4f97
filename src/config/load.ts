import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { WorkflowError } from '../core/errors.js';
import { isPlainObject, type JsonObject } from '../core/json.js';
import { LEVELS, type Level } from '../core/log.js';
import { ConfigSchema, LocalConfig, PARSED_ONCE, type Config } from './schema.js';

/** What the command line may say about config; the CLI parses argv into this. */
export interface ConfigFlags {
  config?: string | undefined;
  local?: string | undefined;
  readOnly?: boolean | undefined;
  waitSeconds?: number | undefined;
  tools?: 'full' | 'compact' | undefined;
  stateDir?: string | undefined;
  logLevel?: Level | undefined;
  httpHost?: string | undefined;
  httpPort?: number | undefined;
  stateless?: boolean | undefined;
  webhookPort?: number | undefined;
}

export interface ConfigInput {
  flags: ConfigFlags;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface LoadedConfig {
  config: Config;
  /** The file that was read, or null when none was. */
  file: string | null;
  /** Every secret value, for the redactor. */
  secrets: string[];
}

/** defaults ← config file ← environment ← flags, then one zod parse. */
export function loadConfig(input: ConfigInput): LoadedConfig {
  const { file, data } = readConfigFile(input);
  const merged = deepMerge(deepMerge(deepMerge({}, data), fromEnv(input.env, input.cwd)), fromFlags(input.flags, input.cwd));
  if (merged['stateDir'] === undefined) merged['stateDir'] = defaultStateDir(input.env);
  const parsed = ConfigSchema.safeParse(merged, PARSED_ONCE);
  if (!parsed.success) throw configError(parsed.error.issues, file);
  const config = parsed.data;
  // Local workflows are the embedded default: on unless configured off.
  config.providers.local ??= LocalConfig.parse({ dir: resolve(input.cwd, 'workflows') }, PARSED_ONCE);
  return { config, file, secrets: collectSecrets(config) };
}

export function defaultStateDir(env: Record<string, string | undefined>): string {
  const base = env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state');
  return join(base, 'workflows-mcp');
}

function readConfigFile(input: ConfigInput): { file: string | null; data: JsonObject } {
  const explicit = input.flags.config ?? input.env['WORKFLOWS_MCP_CONFIG'];
  const file = explicit ? resolve(input.cwd, explicit) : resolve(input.cwd, 'workflows-mcp.config.json');
  if (!existsSync(file)) {
    if (explicit) throw new WorkflowError('config', `config: file not found: ${file}`);
    return { file: null, data: {} };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WorkflowError('config', `config: ${file} is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(raw)) throw new WorkflowError('config', `config: ${file} must hold a JSON object`);
  const data = interpolate(raw, input.env, '') as JsonObject;
  resolvePaths(data, dirname(file));
  return { file, data };
}

/** `${VAR}` and `${VAR:-fallback}` in string values; an unset variable without fallback is an error. */
export function interpolate(value: unknown, env: Record<string, string | undefined>, path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
      const got = env[name];
      if (got !== undefined && got !== '') return got;
      if (fallback !== undefined) return fallback;
      throw new WorkflowError('config', `${path || '(root)'}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/** Paths in a config file are relative to that file, not to wherever the server was started. */
function resolvePaths(data: JsonObject, base: string): void {
  const abs = (p: unknown): unknown => (typeof p === 'string' && !isAbsolute(p) ? resolve(base, p) : p);
  const providers = data['providers'];
  if (isPlainObject(providers) && isPlainObject(providers['local'])) {
    const local = providers['local'];
    if ('dir' in local) local['dir'] = abs(local['dir']);
  }
  if (isPlainObject(data['files']) && Array.isArray(data['files']['roots'])) data['files']['roots'] = data['files']['roots'].map(abs);
  if ('stateDir' in data) data['stateDir'] = abs(data['stateDir']);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** A yes/no environment variable (`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`); unset or empty is no. */
export function envFlag(env: Record<string, string | undefined>, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return false;
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  throw new WorkflowError('config', `${name}: must be 1 or 0 (true/false), got "${env[name]}"`);
}

function envNumber(env: Record<string, string | undefined>, name: string, range: { min: number; max: number; integer?: boolean }): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < range.min || n > range.max || (range.integer && !Number.isInteger(n))) {
    throw new WorkflowError('config', `${name}: must be ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}, got "${raw}"`);
  }
  return n;
}

function envChoice<T extends string>(env: Record<string, string | undefined>, name: string, choices: readonly T[]): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!(choices as readonly string[]).includes(raw)) throw new WorkflowError('config', `${name}: must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

/**
 * Platform keys, and `WORKFLOWS_MCP_<FLAG>` for every serve flag (clients that launch servers set
 * env more easily than args). A bad value is an error naming the variable, not the config path.
 */
function fromEnv(env: Record<string, string | undefined>, cwd: string): JsonObject {
  const get = (k: string): string | undefined => (env[k] === '' ? undefined : env[k]);
  const providers: JsonObject = {};
  const remote = (name: string, keyVar: string, extra: JsonObject = {}): void => {
    const block = dropUndefined({ apiKey: get(keyVar), baseUrl: get(`${name.toUpperCase()}_BASE_URL`), ...extra });
    if (Object.keys(block).length) providers[name] = block;
  };
  remote('looply', 'LOOPLY_API_KEY');
  remote('cortex', 'CORTEX_API_KEY', { appId: get('CORTEX_APP_ID') });
  remote('leap', 'LEAP_API_KEY');
  const localDir = get('WORKFLOWS_MCP_LOCAL_DIR');
  if (localDir) providers['local'] = { dir: resolve(cwd, localDir) };
  const stateDir = get('WORKFLOWS_MCP_STATE_DIR');
  const flag = (name: string): true | undefined => (envFlag(env, name) ? true : undefined);
  return dropUndefined({
    providers,
    stateDir: stateDir ? resolve(cwd, stateDir) : undefined,
    logLevel: envChoice(env, 'WORKFLOWS_MCP_LOG_LEVEL', LEVELS),
    tools: envChoice(env, 'WORKFLOWS_MCP_TOOLS', ['full', 'compact'] as const),
    schemas: envChoice(env, 'WORKFLOWS_MCP_SCHEMAS', ['auto', 'full', 'portable'] as const),
    readOnly: flag('WORKFLOWS_MCP_READ_ONLY'),
    http: dropUndefined({
      token: get('WORKFLOWS_MCP_TOKEN'), host: get('WORKFLOWS_MCP_HOST'),
      port: envNumber(env, 'WORKFLOWS_MCP_PORT', { min: 0, max: 65535, integer: true }), stateless: flag('WORKFLOWS_MCP_STATELESS'),
    }),
    state: dropUndefined({ databaseUrl: get('WORKFLOWS_MCP_DATABASE_URL') }),
    webhooks: dropUndefined({ publicUrl: get('WORKFLOWS_MCP_WEBHOOK_URL'), port: envNumber(env, 'WORKFLOWS_MCP_WEBHOOK_PORT', { min: 0, max: 65535, integer: true }) }),
    runs: dropUndefined({ waitSeconds: envNumber(env, 'WORKFLOWS_MCP_WAIT_SECONDS', { min: 0, max: 3600 }) }),
  });
}

function fromFlags(flags: ConfigFlags, cwd: string): JsonObject {
  return dropUndefined({
    providers: flags.local ? { local: { dir: resolve(cwd, flags.local) } } : undefined,
    readOnly: flags.readOnly,
    tools: flags.tools,
    stateDir: flags.stateDir ? resolve(cwd, flags.stateDir) : undefined,
    logLevel: flags.logLevel,
    runs: flags.waitSeconds === undefined ? undefined : { waitSeconds: flags.waitSeconds },
    http: dropUndefined({ host: flags.httpHost, port: flags.httpPort, stateless: flags.stateless }),
    webhooks: dropUndefined({ port: flags.webhookPort }),
  });
}

function dropUndefined(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (isPlainObject(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** Objects merge key by key; arrays and scalars replace. */
export function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function configError(issues: z.core.$ZodIssue[], file: string | null): WorkflowError {
  const lines = issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
    const message = i.code === 'unrecognized_keys' ? `unknown key ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message;
    return `${path || '(root)'}: ${message}`;
  });
  const where = file ? ` (from ${file}, the environment and flags)` : '';
  return new WorkflowError('config', lines.join('\n'), { detail: `config invalid${where}` });
}

function collectSecrets(config: Config): string[] {
  const p = config.providers;
  const out = [p.looply?.apiKey, p.cortex?.apiKey, p.leap?.apiKey, config.http.token, ...(p.lleverage?.endpoints.map((e) => e.token) ?? []), databasePassword(config.state.databaseUrl)];
  return out.filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** The password inside a database URL, so the log never shows it. */
function databasePassword(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
