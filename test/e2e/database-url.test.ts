import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, ROOT, tempDir } from '../helpers/harness.js';

/** `serve` with a database URL that cannot be used: what a user sees, and the exit code. */
function serve(databaseUrl: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--http', '--port', '0', '--local', join(ROOT, 'examples/workflows'), '--state-dir', tempDir()], {
    encoding: 'utf8', timeout: 60_000,
    env: { PATH: process.env['PATH'] ?? '', HOME: tempDir(), WORKFLOWS_MCP_DATABASE_URL: databaseUrl },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('a database URL that cannot be used (the built bin)', () => {
  it('an unreachable server: exit 2, `state.databaseUrl: …`, the password masked, no stack trace', () => {
    const { code, out } = serve('postgres://bob:hunter2-secret@127.0.0.1:1/nodb');
    assert.equal(code, 2, out);
    assert.match(out, /state\.databaseUrl: cannot use postgres:\/\/bob:\*\*\*@127\.0\.0\.1:1\/nodb: connection refused/);
    assert.doesNotMatch(out, /hunter2-secret/);
    assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
  });

  it('not a postgres:// URL: exit 2 naming the field', () => {
    const { code, out } = serve('mysql://ROOT:pw@127.0.0.1/x');
    assert.equal(code, 2, out);
    assert.match(out, /state\.databaseUrl: expected a postgres:\/\/ URL/);
    assert.doesNotMatch(out, /:pw@/);
  });
});
