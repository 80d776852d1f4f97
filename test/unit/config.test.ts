import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, type ConfigInput } from '../../src/config/load.js';
import { tempDir } from '../helpers/harness.js';

function load(over: Partial<ConfigInput> & { file?: unknown } = {}) {
  const cwd = tempDir();
  if (over.file !== undefined) writeFileSync(join(cwd, 'workflows-mcp.config.json'), typeof over.file === 'string' ? over.file : JSON.stringify(over.file));
  return { cwd, ...loadConfig({ cwd, env: { HOME: cwd, ...over.env }, flags: over.flags ?? {} }) };
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'config');
    return (err as Error).message;
  }
  throw new Error('expected a config error');
}

describe('config', () => {
  it('has sane defaults: local on, XDG state dir, 60 s wait, 30 days retention', () => {
    const { config, cwd, file } = load();
    assert.equal(file, null);
    assert.equal(config.providers.local?.dir, join(cwd, 'workflows'));
    assert.equal(config.stateDir, join(cwd, '.local', 'state', 'workflows-mcp'));
    assert.equal(config.runs.waitSeconds, 60);
    assert.equal(config.runs.retentionDays, 30);
    assert.equal(config.toolNameMax, 48);
    assert.equal(config.maxTools, 100);
    assert.equal(load({ env: { XDG_STATE_HOME: '/x/state' } }).config.stateDir, '/x/state/workflows-mcp');
  });

  it('merges defaults ← file ← environment ← flags', () => {
    const file = { runs: { waitSeconds: 10, retentionDays: 7 }, stateDir: './from-file', logLevel: 'debug' };
    const fromFile = load({ file });
    assert.equal(fromFile.config.runs.waitSeconds, 10);
    assert.equal(fromFile.config.stateDir, join(fromFile.cwd, 'from-file'), 'paths in the file are relative to it');
    const withEnv = load({ file, env: { WORKFLOWS_MCP_WAIT_SECONDS: '20', WORKFLOWS_MCP_STATE_DIR: '/env/state' } });
    assert.equal(withEnv.config.runs.waitSeconds, 20);
    assert.equal(withEnv.config.runs.retentionDays, 7, 'objects merge key by key');
    assert.equal(withEnv.config.stateDir, '/env/state');
    const withFlags = load({ file, env: { WORKFLOWS_MCP_WAIT_SECONDS: '20' }, flags: { waitSeconds: 30, readOnly: true } });
    assert.equal(withFlags.config.runs.waitSeconds, 30);
    assert.equal(withFlags.config.readOnly, true);
  });

  it('interpolates ${VAR} and ${VAR:-default}; an unset variable is an error naming the field', () => {
    const { config, secrets } = load({ file: { providers: { looply: { apiKey: '${MY_KEY}' } }, http: { host: '${HOST:-127.0.0.2}' } }, env: { MY_KEY: 'k-123456789' } });
    assert.equal(config.providers.looply?.apiKey, 'k-123456789');
    assert.equal(config.http.host, '127.0.0.2');
    assert.deepEqual(secrets, ['k-123456789']);
    const msg = configError(() => load({ file: { providers: { looply: { apiKey: '${NOPE}' } } } }));
    assert.equal(msg, 'providers.looply.apiKey: environment variable NOPE is not set');
  });

  it('reports every invalid field as path.to.field: message', () => {
    const msg = configError(() => load({ file: { runs: { waitSeconds: 'soon' }, toolNameMax: 99, providers: { local: { dirr: 'x' } }, bogus: 1 } }));
    const lines = msg.split('\n');
    assert.ok(lines.some((l) => l.startsWith('runs.waitSeconds: ')), msg);
    assert.ok(lines.some((l) => l.startsWith('toolNameMax: ')), msg);
    assert.ok(lines.includes('providers.local: unknown key "dirr"'), msg);
    assert.ok(lines.includes('(root): unknown key "bogus"'), msg);
    assert.match(configError(() => load({ file: '{ nope' })), /is not valid JSON/);
    assert.match(configError(() => load({ flags: { config: 'missing.json' } })), /file not found/);
  });

  it('turns a platform on from its environment variables alone', () => {
    const { config, secrets } = load({ env: { LOOPLY_API_KEY: 'lk-abcdef', LOOPLY_BASE_URL: 'http://127.0.0.1:9/v2', CORTEX_API_KEY: 'ck-abcdef' } });
    assert.equal(config.providers.looply?.baseUrl, 'http://127.0.0.1:9/v2');
    assert.equal(config.providers.cortex?.appId, 'c');
    assert.deepEqual(secrets.sort(), ['ck-abcdef', 'lk-abcdef']);
    assert.equal(config.providers.leap, undefined);
  });
});

describe('config from the environment', () => {
  it('has a WORKFLOWS_MCP_ variable for every serve flag; flags win', () => {
    const env = {
      WORKFLOWS_MCP_HOST: '0.0.0.0', WORKFLOWS_MCP_PORT: '4444', WORKFLOWS_MCP_STATELESS: '1', WORKFLOWS_MCP_TOOLS: 'compact',
      WORKFLOWS_MCP_READ_ONLY: 'true', WORKFLOWS_MCP_WAIT_SECONDS: '5', WORKFLOWS_MCP_LOG_LEVEL: 'debug', WORKFLOWS_MCP_LOCAL_DIR: 'wf',
      WORKFLOWS_MCP_STATE_DIR: '/s', WORKFLOWS_MCP_WEBHOOK_PORT: '0', WORKFLOWS_MCP_TOKEN: 'a-token-of-16-chars',
    };
    const { config, cwd } = load({ env });
    assert.equal(config.http.host, '0.0.0.0');
    assert.equal(config.http.port, 4444);
    assert.equal(config.http.stateless, true);
    assert.equal(config.tools, 'compact');
    assert.equal(config.readOnly, true);
    assert.equal(config.runs.waitSeconds, 5);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.providers.local?.dir, join(cwd, 'wf'));
    assert.equal(config.stateDir, '/s');
    assert.equal(config.webhooks.port, 0);
    const flagged = load({ env, flags: { httpHost: '127.0.0.1', httpPort: 5, tools: 'full', waitSeconds: 9, logLevel: 'error' } }).config;
    assert.deepEqual([flagged.http.host, flagged.http.port, flagged.tools, flagged.runs.waitSeconds, flagged.logLevel], ['127.0.0.1', 5, 'full', 9, 'error']);
    assert.equal(load({ env: { WORKFLOWS_MCP_READ_ONLY: '0', WORKFLOWS_MCP_STATELESS: '' } }).config.readOnly, false);
  });

  it('a bad value is an error naming the variable', () => {
    assert.equal(configError(() => load({ env: { WORKFLOWS_MCP_WAIT_SECONDS: 'soon' } })), 'WORKFLOWS_MCP_WAIT_SECONDS: must be a number from 0 to 3600, got "soon"');
    assert.match(configError(() => load({ env: { WORKFLOWS_MCP_PORT: '80.5' } })), /^WORKFLOWS_MCP_PORT: must be a whole number/);
    assert.match(configError(() => load({ env: { WORKFLOWS_MCP_STATELESS: 'maybe' } })), /^WORKFLOWS_MCP_STATELESS: must be 1 or 0/);
    assert.match(configError(() => load({ env: { WORKFLOWS_MCP_TOOLS: 'some' } })), /^WORKFLOWS_MCP_TOOLS: must be one of full, compact/);
    assert.match(configError(() => load({ env: { WORKFLOWS_MCP_LOG_LEVEL: 'loud' } })), /^WORKFLOWS_MCP_LOG_LEVEL: must be one of debug/);
  });
});
