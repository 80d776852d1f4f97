import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { SharedBuckets } from '../http/shared-rate.js';
import { LocalProvider } from './local/provider.js';
import { resolve } from 'node:path';
import type { Provider } from './types.js';
import type { SchemaCache } from './schema-cache.js';
import type { WebhookTokens } from './webhook-tokens.js';

export interface ProviderSet {
  providers: Provider[];
  /** Configured but not served by this build, with the reason, for doctor and the log. */
  unavailable: Array<{ name: string; reason: string }>;
}

/** One provider per configured platform; local is on unless switched off. Remote adapters load only when configured. */
export async function createProviders(config: Config, log: Logger, opts: { webhookBase?: string | undefined; webhookTokens?: WebhookTokens | undefined; sharedRate?: SharedBuckets | undefined; schemaCache?: SchemaCache | undefined } = {}): Promise<ProviderSet> {
  const providers: Provider[] = [];
  const unavailable: ProviderSet['unavailable'] = [];
  const p = config.providers;
  if (p.local?.enabled) providers.push(new LocalProvider({ dir: p.local.dir, watch: p.local.watch, log }));
  if (p.looply?.enabled) providers.push(new (await import('./looply/provider.js')).LooplyProvider({ apiKey: p.looply.apiKey, baseUrl: p.looply.baseUrl, profile: p.looply.profile, stateMap: p.looply.stateMap, log, schemaCache: opts.schemaCache }));
  if (p.leap?.enabled) providers.push(new (await import('./leap/provider.js')).LeapProvider({ apiKey: p.leap.apiKey, baseUrl: p.leap.baseUrl, workflows: p.leap.workflows, log, webhookBase: opts.webhookBase, tokens: opts.webhookTokens }));
  const files = { roots: config.files.roots.map((r) => resolve(r)), maxBytes: config.files.maxBytes };
  if (p.lleverage?.enabled) providers.push(new (await import('./lleverage/provider.js')).LleverageProvider({ endpoints: p.lleverage.endpoints, files, log }));
  if (p.cortex?.enabled) {
    const c = p.cortex;
    providers.push(new (await import('./cortex/provider.js')).CortexProvider({
      apiKey: c.apiKey, appId: c.appId, baseUrl: c.baseUrl, discover: c.discover, draft: c.draft, versions: c.versions,
      filters: { search: c.search, tags: c.tags }, retentionDays: c.retentionDays, files, log, sharedRate: opts.sharedRate, schemaCache: opts.schemaCache,
    }));
  }
  return { providers, unavailable };
}
