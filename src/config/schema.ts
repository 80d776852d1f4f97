import { z } from 'zod';
import { LEVELS } from '../core/log.js';

const filters = {
  enabled: z.boolean().default(true),
  include: z.array(z.string().min(1)).default(['*']),
  exclude: z.array(z.string().min(1)).default([]),
  versions: z.enum(['all', 'latest']).default('all'),
  destructive: z.boolean().default(false),
};
const baseUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional();
const secret = (name: string) => z.string({ error: `required (set ${name})` }).min(1, `must not be empty (set ${name})`);

export const LocalConfig = z.strictObject({
  ...filters,
  dir: z.string().min(1).default('./workflows'),
  watch: z.boolean().default(true),
});

export const LooplyConfig = z.strictObject({
  ...filters,
  apiKey: secret('LOOPLY_API_KEY'),
  baseUrl,
  profile: z.string().optional(),
  stateMap: z.record(z.string(), z.enum(['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled'])).optional(),
});

export const CortexConfig = z.strictObject({
  ...filters,
  apiKey: secret('CORTEX_API_KEY'),
  appId: z.string().min(1).default('c'),
  baseUrl,
  discover: z.boolean().default(false),
  /** Filters for the workflow lists (own and discoverable), as Cortex applies them. */
  search: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)).optional(),
  draft: z.boolean().default(false),
  /** Days Cortex keeps each run's data; -1 keeps it forever. Also turns on the `retention` tool argument. */
  retentionDays: z.number().refine((n) => n === -1 || n > 0, 'a positive number of days, or -1 to keep run data forever').optional(),
});

export const LeapConfig = z.strictObject({
  ...filters,
  apiKey: secret('LEAP_API_KEY'),
  baseUrl,
  workflows: z
    .array(z.strictObject({ id: z.string().min(1), name: z.string().optional(), description: z.string().optional(), inputSchema: z.record(z.string(), z.unknown()).optional(), triggerId: z.string().optional() }))
    .default([]),
});

export const LleverageConfig = z.strictObject({
  ...filters,
  endpoints: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        // https; plain http only to this machine (a local gateway, tests).
        url: z.url({ error: 'must be a URL' }).refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u), 'must be an https URL'),
        description: z.string().optional(),
        token: z.string().optional(),
        // Only then is a start sent again after a 5xx or a lost connection (the endpoint is safe to repeat).
        idempotent: z.boolean().default(false),
        fields: z.record(z.string(), z.union([z.enum(['text', 'number', 'boolean', 'file']), z.strictObject({ type: z.enum(['text', 'number', 'boolean', 'file']), required: z.boolean().default(true), description: z.string().optional() })])).default({}),
      }),
    )
    .default([]),
});

/**
 * For a parse made once per process: zod's compiled fast path (a generated function per object
 * schema, built on its first parse) costs more than it saves for one parse — the first config
 * load took 4–5 ms with it, ~2 ms without.
 */
export const PARSED_ONCE = { jitless: true } as const;

export const HttpConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3333),
  token: z.string().min(16, 'must be at least 16 characters').optional(),
  stateless: z.boolean().default(false),
  allowedHosts: z.array(z.string().min(1)).default([]),
  allowedOrigins: z.array(z.string().min(1)).default([]),
  maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
  maxConcurrentPerClient: z.number().int().positive().default(1000),
  maxSessions: z.number().int().positive().default(1000),
  /** At maxSessions, only a session with no request for this long may be ended to make room (least recently used first); else 503. */
  evictIdleSeconds: z.number().min(0).default(300),
  sessionIdleMinutes: z.number().positive().default(30),
  oauth: z
    .strictObject({
      authorizationServers: z.array(z.url()).min(1, 'name at least one authorization server'),
      /** The issuer (`iss`) access tokens must carry; the first authorization server by default. */
      issuer: z.string().min(1).optional(),
      /** Where the authorization server publishes its signing keys. */
      jwksUrl: z.url({ error: 'must be the URL of the authorization server JWKS (its jwks_uri)' }),
      /** This server's resource identifier: the `aud` tokens must be issued for. Default: the /mcp URL. */
      resource: z.url().optional(),
      /** Scopes every token must carry. */
      scopes: z.array(z.string()).default([]),
      /** The scope that sees and acts on every principal's runs (and platform history). */
      adminScope: z.string().min(1).default('workflows:admin'),
      /** Tool-name globs → the scope(s) a token needs to see and call those tools, e.g. `{"looply_*": "looply:run"}`. */
      toolScopes: z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).default({}),
    })
    .optional(),
});

export const TOOLSETS = ['workflows', 'runs', 'generic'] as const;

export const ConfigSchema = z.strictObject({
  providers: z
    .strictObject({
      local: LocalConfig.optional(),
      looply: LooplyConfig.optional(),
      cortex: CortexConfig.optional(),
      leap: LeapConfig.optional(),
      lleverage: LleverageConfig.optional(),
    })
    .default({}),
  runs: z
    .strictObject({
      waitSeconds: z.number().min(0).max(3600).default(60),
      retentionDays: z.number().positive().default(30),
      /** The most of a run's input, output, steps or platform answer the journal keeps (each); the rest is cut with a note. */
      storeOutputMaxBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
    })
    .default({ waitSeconds: 60, retentionDays: 30, storeOutputMaxBytes: 4 * 1024 * 1024 }),
  files: z.strictObject({ roots: z.array(z.string()).default(['.']), maxBytes: z.number().int().positive().default(26214400) }).default({ roots: ['.'], maxBytes: 26214400 }),
  http: HttpConfig.default(HttpConfig.parse({}, PARSED_ONCE)),
  webhooks: z
    .strictObject({ publicUrl: z.url().nullable().default(null), host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535).optional() })
    .default({ publicUrl: null, host: '127.0.0.1' }),
  tools: z.enum(['full', 'compact']).default('full'),
  /** Tool input schemas as written, or the portable form weak converters accept; `auto`: portable for clients known to need it. */
  schemas: z.enum(['auto', 'full', 'portable']).default('auto'),
  toolsets: z.array(z.enum(TOOLSETS)).default([...TOOLSETS]),
  readOnly: z.boolean().default(false),
  maxTools: z.number().int().positive().default(100),
  toolNameMax: z.number().int().min(24).max(64).default(48),
  refreshSeconds: z.number().min(0).default(300),
  stateDir: z.string().min(1),
  /** Shared state for several replicas; without a URL the journal is the SQLite file in stateDir. */
  state: z
    .strictObject({
      databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').nullable().default(null),
      poolSize: z.number().int().min(2).max(200).default(10),
      leaseSeconds: z.number().min(1).max(600).default(6),
    })
    .default({ databaseUrl: null, poolSize: 10, leaseSeconds: 6 }),
  logLevel: z.enum(LEVELS).default('info'),
});

export type Config = z.infer<typeof ConfigSchema>;
export type LocalProviderConfig = z.infer<typeof LocalConfig>;
export type ProviderName = keyof Config['providers'];
