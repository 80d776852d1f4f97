import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BIN, ROOT, tempDir, until } from './harness.js';

/** Starts the built server over HTTP on a free port; resolves with its /mcp URL. */
export async function startHttpServer(args: string[] = [], env: Record<string, string> = {}, workflows = join(ROOT, 'examples/workflows')): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--http', '--port', '0', '--local', workflows, '--state-dir', join(tempDir(), 'state'), ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: tempDir(), ...env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await until(() => /MCP endpoint (\S+)/.test(err) || child.exitCode !== null, 15000, 'the HTTP server to listen');
  const url = /MCP endpoint (\S+)/.exec(err)?.[1];
  if (!url) throw new Error(`server did not start: ${err}`);
  return { url, child, stderr: () => err };
}

export async function stopServer(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  return new Promise((r) => child.on('close', r));
}

/** Kills a server as a crash would (SIGKILL) and waits until it is gone; a server already gone is left be. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('close', r));
  child.kill('SIGKILL');
  await gone;
}

/** After a test that kills replica `a`: `a` is gone (killed now if the test ended first) and `b` stopped. */
export async function stopReplicas(a: { child: ChildProcess }, b: { child: ChildProcess }): Promise<void> {
  await killHard(a.child);
  await stopServer(b.child);
}
