import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { tempDir } from '../helpers/harness.js';

/*
 * The package as a user gets it: `npm pack`, then installed into an empty folder with dev
 * dependencies left out, its bin spawned and its tools listed through an SDK client.
 * - Node 22 (built-in node:sqlite): `npm install --omit=dev --omit=optional`, which proves no
 *   compiler is needed, and `npx -y ./workflows-mcp-<v>.tgz` with install scripts off.
 * - Node 20: `npm i -g` with install scripts off, which shows the clear errors while better-sqlite3
 *   is unbuilt or missing; then this checkout's already-compiled better-sqlite3 is linked in where
 *   npm would have compiled it (minutes here, no prebuilt binary is reachable) — the same version,
 *   built for this Node.
 * Installs use the npm cache first (--prefer-offline): `npm install` has just filled it.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLES = join(root, 'examples/workflows');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const major = Number(process.versions.node.split('.')[0]);
const INSTALL = ['--omit=dev', '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

function sh(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, out, err })));
}

async function must(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<string> {
  const r = await sh(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}:\n${r.err.slice(-3000)}`);
  return r.out;
}

/** A Node binary of the given major: this one, or one fetched (and cached) by npx. */
async function nodeBin(want: 20 | 22): Promise<string> {
  if (major === want) return process.execPath;
  return (await must('npx', ['-y', '-p', `node@${want}`, 'node', '-p', 'process.execPath'], { cwd: root })).trim();
}

const pathWith = (node: string): Record<string, string> => ({ PATH: `${dirname(node)}${delimiter}${process.env['PATH'] ?? ''}` });

/** Lists the tools of a spawned server through a real SDK client. */
async function listTools(command: string, args: string[], env: Record<string, string>): Promise<{ names: string[]; stderr: string }> {
  const transport = new StdioClientTransport({ command, args: [...args, 'serve', '--local', EXAMPLES, '--state-dir', join(tempDir(), 'state')], env: { HOME: tempDir(), ...env }, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'package-test', version: '1' });
  await client.connect(transport);
  const names = (await client.listTools()).tools.map((t) => t.name);
  await client.close();
  return { names, stderr };
}

async function pack(): Promise<string> {
  const dir = tempDir('wm-pack-');
  await must('npm', ['pack', '--ignore-scripts', '--loglevel=error', '--pack-destination', dir], { cwd: root });
  const tgz = join(dir, `workflows-mcp-${version}.tgz`);
  assert.ok(existsSync(tgz), 'npm pack made the tarball');
  return tgz;
}

function emptyProject(): string {
  const dir = tempDir('wm-install-');
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  return dir;
}

describe('the packed package', { timeout: 600_000 }, () => {
  it('Node 22: --omit=dev --omit=optional install and npx of the tarball serve on node:sqlite, no compiler, no warning', async () => {
    const tgz = await pack();
    const env = pathWith(await nodeBin(22));
    const project = emptyProject();
    try {
      await must('npm', ['install', ...INSTALL, tgz], { cwd: project, env });
      assert.ok(!existsSync(join(project, 'node_modules/better-sqlite3')), 'better-sqlite3 left out');
      const bin = join(project, 'node_modules/.bin/workflows-mcp');
      const local = await listTools(bin, [], env);
      assert.ok(local.names.includes('local_invoice_total') && local.names.includes('list_runs'), local.stderr);
      assert.doesNotMatch(local.stderr, /Warning/);
      const doctor = await sh(bin, ['doctor', '--local', EXAMPLES, '--state-dir', join(tempDir(), 'state')], { cwd: project, env });
      assert.match(doctor.out, /journal: .*SQLite engine node:sqlite: built into Node v22/);
      // npx installs optional dependencies whatever --omit says; with scripts off better-sqlite3 stays unbuilt, unused.
      const npxArgs = ['-y', '-p', 'node@22', '-p', tgz, '--', 'workflows-mcp'];
      // The servers get a fresh HOME: npx must still find the npm cache the install above used.
      const npxEnv = { ...env, npm_config_cache: process.env['npm_config_cache'] ?? join(homedir(), '.npm'), npm_config_ignore_scripts: 'true', npm_config_prefer_offline: 'true', npm_config_loglevel: 'error' };
      assert.equal((await must('npx', [...npxArgs, '--version'], { cwd: project, env: npxEnv })).trim(), version); // the install, outside the client's timeout
      const npx = await listTools('npx', npxArgs, npxEnv);
      assert.ok(npx.names.includes('local_text_stats'), npx.stderr);
    } finally {
      removeNpxInstallsOf(dirname(tgz));
      rmSync(project, { recursive: true, force: true });
      rmSync(dirname(tgz), { recursive: true, force: true });
    }
  });

  it('Node 20: npm i -g; a clear error while better-sqlite3 is unbuilt or missing, tools once it is there', async () => {
    const tgz = await pack();
    const env = pathWith(await nodeBin(20));
    const prefix = tempDir('wm-global-');
    try {
      // Global installs take optional dependencies whatever --omit says; scripts off leaves better-sqlite3 unbuilt.
      await must('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', ...INSTALL, tgz], { cwd: prefix, env });
      const bin = join(prefix, 'bin/workflows-mcp');
      const home = join(prefix, 'lib/node_modules/workflows-mcp');
      const args = ['list', '--local', EXAMPLES, '--state-dir', join(tempDir(), 'state')];
      const unbuilt = await sh(bin, args, { cwd: prefix, env });
      assert.equal(unbuilt.code, 2);
      assert.match(unbuilt.err, /No SQLite engine: Node v20\.\S+ has no built-in node:sqlite \(it needs Node ≥ 22\.13\), and better-sqlite3 is installed but does not load .*npm rebuild better-sqlite3/);
      const installed = join(home, 'node_modules/better-sqlite3');
      rmSync(installed, { recursive: true, force: true });
      const missing = await sh(bin, args, { cwd: prefix, env });
      assert.equal(missing.code, 2);
      assert.match(missing.err, /and the optional dependency better-sqlite3 is not installed \(or did not build\)\. Use Node ≥ 22\.13, or run `npm install better-sqlite3`/);
      // Where npm would compile better-sqlite3: this checkout's compiled copy (see the note at the top).
      symlinkSync(join(root, 'node_modules/better-sqlite3'), installed, 'dir');
      const { names, stderr } = await listTools(bin, [], env);
      assert.ok(names.includes('local_invoice_total'), stderr);
      const doctor = await sh(bin, ['doctor', '--local', EXAMPLES, '--state-dir', join(tempDir(), 'state')], { cwd: prefix, env });
      assert.match(doctor.out, /journal: .*SQLite engine better-sqlite3: better-sqlite3 \d+\.\d+\.\d+, as Node v20\S+ has no built-in node:sqlite/);
      // The types resolve for TypeScript users on the old resolution too.
      writeFileSync(join(prefix, 'check.ts'), "import { defineWorkflow } from 'workflows-mcp';\nexport default defineWorkflow({ name: 'T', version: '1', input: { type: 'object' }, run: async () => ({ ok: true }) });\n");
      symlinkSync(join(prefix, 'lib/node_modules'), join(prefix, 'node_modules'), 'dir');
      await must(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--skipLibCheck', '--module', 'commonjs', '--moduleResolution', 'node10', '--strict', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), 'check.ts'], { cwd: prefix });
    } finally {
      rmSync(prefix, { recursive: true, force: true });
      rmSync(dirname(tgz), { recursive: true, force: true });
    }
  });
});

/** npx keeps each install under ~/.npm/_npx/<hash>; drop the ones made for this test's tarball. */
function removeNpxInstallsOf(tarballDir: string): void {
  const base = join(process.env['npm_config_cache'] ?? join(homedir(), '.npm'), '_npx');
  if (!existsSync(base)) return;
  for (const hash of readdirSync(base)) {
    const manifest = join(base, hash, 'package.json');
    if (existsSync(manifest) && readFileSync(manifest, 'utf8').includes(tarballDir.split('/').pop()!)) rmSync(join(base, hash), { recursive: true, force: true });
  }
}
