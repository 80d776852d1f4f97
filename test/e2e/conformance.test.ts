import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startHttpServer } from '../helpers/http.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('official MCP conformance suite', () => {
  it('passes every scenario outside the fixture baseline (conformance 0.1.16, Node 22)', { timeout: 600_000 }, async () => {
    const server = await startHttpServer(['--log-level', 'warning']);
    try {
      const cli = join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
      const run = spawn('npx', ['-y', '-p', 'node@22', 'node', cli, 'server', '--url', server.url, '--suite', 'all', '--expected-failures', join(root, 'test/conformance/baseline.yml')], { cwd: root });
      let out = '';
      run.stdout.on('data', (d: Buffer) => (out += d.toString()));
      run.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => run.on('close', r));
      const summary = out.split('\n').filter((l) => /^[✓✗]|Total|Baseline|stale|unexpected/i.test(l)).join('\n');
      assert.equal(code, 0, `conformance failed:\n${summary || out.slice(-4000)}`);
      assert.match(out, /✓ dns-rebinding-protection/);
      assert.match(out, /✓ server-sse-multiple-streams/);
      assert.match(out, /✓ tools-list/);
    } finally {
      server.child.kill('SIGTERM');
    }
  });
});
