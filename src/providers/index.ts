import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { LocalProvider } from './local/provider.js';
import { resolve } from 'node:path';
import { LeapProvider } from './leap/provider.js';
import { LleverageProvider } from './lleverage/provider.js';
import { LooplyProvider } from './looply/provider.js';
import type { Provider } from './types.js';

export interface ProviderSet {
  providers: Provider[];
  /** Configured but not served by this build, with the reason, for doctor and the log. */
  unavailable: Array<{ name: string; reason: string }>;
}

const NOT_YET = 'configured, but this version of workflows-mcp has no adapter for it yet';

/** One provider per configured platform; local is on unless switched off. */
export function createProviders(config: Config, log: Logger, opts: { webhookBase?: string | undefined } = {}): ProviderSet {
  const providers: Provider[] = [];
  const unavailable: ProviderSet['unavailable'] = [];
  const p = config.providers;
  if (p.local?.enabled) providers.push(new LocalProvider({ dir: p.local.dir, watch: p.local.watch, log }));
  if (p.looply?.enabled) providers.push(new LooplyProvider({ apiKey: p.looply.apiKey, baseUrl: p.looply.baseUrl, profile: p.looply.profile, stateMap: p.looply.stateMap, log }));
  if (p.leap?.enabled) providers.push(new LeapProvider({ apiKey: p.leap.apiKey, baseUrl: p.leap.baseUrl, workflows: p.leap.workflows, log, webhookBase: opts.webhookBase }));
  if (p.lleverage?.enabled) providers.push(new LleverageProvider({ endpoints: p.lleverage.endpoints, files: { roots: config.files.roots.map((r) => resolve(r)), maxBytes: config.files.maxBytes }, log }));
  for (const name of ['cortex'] as const) {
    if (p[name]?.enabled) {
      unavailable.push({ name, reason: NOT_YET });
      log.warn(`${name}: ${NOT_YET}; its workflows are not listed`);
    }
  }
  return { providers, unavailable };
}
