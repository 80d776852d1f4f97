import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { discoverLocal, needsResolveHooks } from '../../src/providers/local/discover.js';
import { tempDir, writeFiles } from '../helpers/harness.js';

const root = join(import.meta.dirname, '../../..'); // the repository: zod is installed here

describe('resolve hooks, only when a workflow file needs them', () => {
  it('a self-contained file, or one whose imports resolve where it lives, needs none', () => {
    const lone = join(tempDir(), 'a.workflow.mjs');
    assert.equal(needsResolveHooks(lone, "export default { name: 'A', run: () => 1 };"), false);
    assert.equal(needsResolveHooks(lone, "import { readFileSync } from 'node:fs';\nexport default {};"), false);
    assert.equal(needsResolveHooks(join(root, 'x.workflow.mjs'), "import { z } from 'zod';\nexport default {};"), false);
  });

  it('zod or workflows-mcp with no installed copy, or another file (whose imports are not read), needs them', () => {
    const lone = join(tempDir(), 'a.workflow.mjs');
    assert.equal(needsResolveHooks(lone, "import { z } from 'zod';"), true);
    assert.equal(needsResolveHooks(lone, "import { z } from \"zod/v4\";"), true);
    assert.equal(needsResolveHooks(lone, "import { defineWorkflow } from 'workflows-mcp';"), true);
    assert.equal(needsResolveHooks(lone, "const m = await import('./lib.mjs');"), true);
  });

  it('a helper file that imports zod loads from a folder with no node_modules', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'lib.mjs': "import { z } from 'zod';\nexport const input = z.object({ a: z.number() });",
      'helped.workflow.mjs': "import { input } from './lib.mjs';\nexport default { name: 'Helped', input, run: ({ a }) => a };",
    });
    const cat = await discoverLocal(dir);
    assert.deepEqual(cat.problems, []);
    assert.deepEqual(cat.workflows[0]!.versions[0]!.inputSchema['required'], ['a']);
  });
});
