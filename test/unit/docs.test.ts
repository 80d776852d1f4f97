import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderReadme } from '../../scripts/gen-docs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

describe('docs match the code', () => {
  it("README's tool and CLI reference is what the definitions generate (npm run docs)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.equal(readme, renderReadme(readme));
  });

  it('README starts with two commands: install + run the bundled example, and test; .ci/run runs exactly them', () => {
    const block = /```sh\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'))![1]!.trim().split('\n');
    assert.deepEqual(block, ['npm install && npm start', 'npm test']);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts['start']!, /call local_\w+ --local examples\/workflows/);
    const ci = readFileSync(join(root, '.ci/run'), 'utf8').split('\n');
    for (const line of block) assert.ok(ci.includes(line), `.ci/run runs "${line}"`);
  });

  it('docs/structure.md has a line for every source file, and no line for a file that is gone', () => {
    const doc = readFileSync(join(root, 'docs/structure.md'), 'utf8');
    const listed = [...doc.matchAll(/`(src\/[^`]+\.ts)`/g)].map((m) => m[1]!);
    const actual = files(join(root, 'src')).map((f) => relative(root, f));
    assert.deepEqual([...actual].sort(), [...new Set(listed)].sort());
  });
});
