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

  it('README starts with install, the main command on the bundled examples, and the test command', () => {
    const block = /```sh\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'))![1]!.trim().split('\n');
    assert.equal(block[0], 'npm install');
    assert.match(block[1]!, /--local examples\/workflows/);
    assert.equal(block[2], 'npm test');
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    assert.match(ci, /\nnpm install\n/);
    assert.match(ci, /\nnpm test\n/);
  });

  it('docs/structure.md has a line for every source file, and no line for a file that is gone', () => {
    const doc = readFileSync(join(root, 'docs/structure.md'), 'utf8');
    const listed = [...doc.matchAll(/`(src\/[^`]+\.ts)`/g)].map((m) => m[1]!);
    const actual = files(join(root, 'src')).map((f) => relative(root, f));
    assert.deepEqual([...actual].sort(), [...new Set(listed)].sort());
  });
});
