import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const src = join(root, 'src');
/** cli → serve → mcp → runs → providers → http → state → core; config sits above http and uses only core; so does state. */
const ORDER = ['cli', 'serve', 'mcp', 'runs', 'providers', 'config', 'http', 'state', 'core'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
}

function layerOf(file: string): string {
  const top = relative(src, file).split('/')[0]!;
  return top.endsWith('.ts') ? 'cli' : top; // src/index.ts is the package entry: treat as top
}

describe('layers', () => {
  it('imports flow one way, and providers never import each other', () => {
    const problems: string[] = [];
    for (const file of files(src)) {
      const from = layerOf(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = resolve(dirname(file), m[1]!);
        const to = layerOf(target);
        if (ORDER.indexOf(to) < ORDER.indexOf(from)) problems.push(`${relative(root, file)} (${from}) imports ${m[1]} (${to})`);
        if (from === 'config' && to !== 'core' && to !== 'config') problems.push(`${relative(root, file)}: config may import only core`);
        if (from === 'state' && to !== 'core' && to !== 'state') problems.push(`${relative(root, file)}: state may import only core`);
        const [fp, tp] = [relative(join(src, 'providers'), file).split('/')[0], relative(join(src, 'providers'), target).split('/')[0]];
        if (from === 'providers' && to === 'providers' && fp !== tp && !/\.(js|ts)$/.test(fp!) && !/\.(js|ts)$/.test(tp!)) problems.push(`${relative(root, file)} imports another provider: ${m[1]}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('nothing outside src/cli writes to stdout (it is the protocol in stdio mode)', () => {
    const hits = files(src).filter((f) => layerOf(f) !== 'cli' && /console\.log|process\.stdout\.write/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(hits.map((f) => relative(root, f)), []);
  });
});
