import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, tempDir } from '../helpers/harness.js';

const hasCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const cacheDir = (tmp: string): string => join(tmp, `workflows-mcp-compile-cache-${process.getuid?.() ?? 'user'}`);

function version(tmp: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: tmp, TMPDIR: tmp } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('compile cache (Node ≥ 22.1)', () => {
  it('keeps compiled modules in a folder of this user\'s own under the OS temp folder; without the API, starts as before', () => {
    const tmp = tempDir();
    const r = version(tmp);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    assert.equal(r.stderr, '');
    if (!hasCache) return assert.equal(existsSync(cacheDir(tmp)), false);
    assert.equal(statSync(cacheDir(tmp)).mode & 0o777, 0o700);
    assert.ok(readdirSync(cacheDir(tmp)).length > 0, 'something was cached');
  });

  it('uses no cache in a folder others may write to, silently', () => {
    const tmp = tempDir();
    mkdirSync(cacheDir(tmp));
    chmodSync(cacheDir(tmp), 0o777);
    const r = version(tmp);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(readdirSync(cacheDir(tmp)), []);
  });
});
