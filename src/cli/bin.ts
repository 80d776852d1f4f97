#!/usr/bin/env node
import { runCli } from './main.js';

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
