#!/usr/bin/env node
import { lstatSync, mkdirSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type CompileCache = { enableCompileCache?: (dir: string) => unknown; flushCompileCache?: () => void };

/**
 * Node ≥ 22.1 can keep the compiled code of every module it loads (ours, the SDK, zod, ajv) on
 * disk: a later start skips most compilation. The folder is this user's own in the OS temp
 * folder (never the package); one we do not own, or open to others, means no cache. Anything
 * unexpected: start as before, silently.
 */
function enableCompileCache(): void {
  const { enableCompileCache: enable, flushCompileCache: flush } = nodeModule as CompileCache;
  if (!enable || process.env['NODE_DISABLE_COMPILE_CACHE']) return;
  try {
    const uid = process.getuid?.();
    const dir = join(tmpdir(), `workflows-mcp-compile-cache-${uid ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory() || (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0))) return;
    enable(dir);
    // Written at exit anyway; also once started, in case the process is killed rather than closed.
    if (flush) setTimeout(() => flush(), 3000).unref();
  } catch {
    // no cache
  }
}
enableCompileCache();
// Imported only now, so that the cache covers the whole graph.
const { runCli } = await import('./main.js');

const interrupt = new AbortController();
let interrupts = 0;
const onSigint = (): void => {
  // The first Ctrl-C cancels the running command; a second one leaves at once.
  if (++interrupts > 1) process.exit(130);
  interrupt.abort('interrupted by the user');
};
const serving = (process.argv[2] ?? 'serve').startsWith('-') || process.argv[2] === 'serve' || process.argv[2] === undefined;
if (!serving) process.on('SIGINT', onSigint);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  interrupt: interrupt.signal,
});
process.exitCode = code;
