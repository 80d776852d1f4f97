// Bundles the built CLI (dist/src) into dist/bundle: a few large files start faster than the 572
// modules of our code, the SDK, zod, ajv, undici and hono (one resolve, read and compile each).
// Left out, and loaded from node_modules as before: better-sqlite3 (native) and pg (only with
// state.databaseUrl). Two files keep their own module URL, as they must: the resolve hooks
// (a workflow's `workflows-mcp` and `zod` resolve next to them) and the checkpoint worker
// (a thread of its own); dist/bundle holds one-line re-exports of their dist/src files.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const OWN_URL_FILES = /\/(resolve-hooks|sqlite-checkpoint-worker)\.js$/;

const plugins = [
  {
    name: 'own-url-files',
    setup(b) {
      b.onResolve({ filter: OWN_URL_FILES }, (a) => ({ path: `./${a.path.split('/').pop()}`, external: true }));
    },
  },
  {
    // zod's 45 message locales (a third of its size) are never used: ours keeps English, and a
    // workflow's own `zod` comes from node_modules, whole.
    name: 'zod-english-only',
    setup(b) {
      b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: 'js', resolveDir: `${root}node_modules/zod/v4/locales` }));
    },
  },
];

// Chunk names carry a hash: an earlier build's chunks would stay beside the new ones.
rmSync(`${root}dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { bin: 'dist/src/cli/bin.js' },
  outdir: 'dist/bundle',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pg'],
  // Bundled CommonJS (ajv, undici) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __workflowsMcpRequire } from 'node:module'; const require = __workflowsMcpRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
  plugins,
});
writeFileSync(`${root}dist/bundle/resolve-hooks.js`, "export * from '../src/providers/local/resolve-hooks.js';\n");
writeFileSync(`${root}dist/bundle/sqlite-checkpoint-worker.js`, "import '../src/runs/sqlite-checkpoint-worker.js';\n");
