// `npm install` in a clone builds dist/ here (tsc, then the bundle the bin runs). When npm links
// a clone whose dependencies were never installed (`npx /path/to/clone`), there is no TypeScript
// to build with: say so and let the link happen, so the command itself can tell the user to run
// `npm install` there (instead of npm's bare "exit 127").
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write(`workflows-mcp: not built, as its dependencies are not installed in ${root}; run \`npm install\` there.\n`);
  process.exit(0);
}
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const bundle = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });
process.exit(bundle.status ?? 1);
