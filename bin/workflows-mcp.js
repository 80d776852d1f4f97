#!/usr/bin/env node
// The package's command. It only loads the built CLI, so a clone that was never installed and
// built (e.g. `npx /path/to/clone`) says what to do instead of failing with "command not found".
try {
  await import('../dist/bundle/bin.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  const here = new URL('..', import.meta.url).pathname;
  process.stderr.write(`workflows-mcp: ${here} is not installed and built (${err.message.split('\n')[0]}).\n` +
    `Run \`npm install\` there (it installs the dependencies and builds dist/), then try again.\n`);
  process.exitCode = 1;
}
