import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { Redactor } from '../../src/core/redact.js';
import { kebabSlug } from '../../src/core/slug.js';
import { compareVersions, discoverLocal } from '../../src/providers/local/discover.js';
import { LocalProvider } from '../../src/providers/local/provider.js';
import type { Run, RunUpdate } from '../../src/providers/types.js';
import { tempDir, until, writeFiles, WF } from '../helpers/harness.js';

const log = createLogger({ redactor: new Redactor(), stderrLevel: 'emergency' });

async function runOnce(dir: string, id: string, input: unknown, act?: (p: LocalProvider, run: Run) => Promise<void>): Promise<{ updates: RunUpdate[]; final: RunUpdate }> {
  const p = new LocalProvider({ dir, watch: false, log });
  const { workflows } = await p.listWorkflows();
  const workflow = workflows.find((w) => w.id === id)!;
  const run = await p.start({ workflow, version: workflow.versions.find((v) => v.key === workflow.latest)!, input });
  const updates: RunUpdate[] = [];
  const observed = p.observe(run, (u) => void updates.push(u), new AbortController().signal);
  if (act) await act(p, run);
  await observed;
  return { updates, final: updates[updates.length - 1]! };
}

describe('local discovery', () => {
  it('groups files by name into versions, latest by numeric order, and skips what does not load', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'a/one.workflow.mjs': WF.echo.replace('version: 1', 'version: 2'),
      'a/two.workflow.mjs': WF.echo.replace('version: 1', 'version: 10'),
      'three.workflow.mjs': WF.echo,
      'zdup.workflow.mjs': WF.echo,
      'nodefault.workflow.mjs': 'export const x = 1;',
      'norun.workflow.mjs': "export default { name: 'No Run' };",
      'cmd.workflow.json': JSON.stringify({ name: 'Cmd', command: ['node', '-e', '1'], extra: true }),
      'node_modules/x.workflow.mjs': WF.fail,
    });
    const cat = await discoverLocal(dir);
    assert.deepEqual(cat.workflows.map((w) => [w.id, w.versions.map((v) => v.key), w.latest]), [['echo', ['1', '2', '10'], '10']]);
    const problems = cat.problems.map((p) => `${p.where.slice(dir.length + 1)}: ${p.message}`).sort();
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0]!, /^cmd.workflow.json: .*extra/);
    assert.match(problems[1]!, /^nodefault.workflow.mjs: .*no default export/);
    assert.match(problems[2]!, /^norun.workflow.mjs: .*run: must be a function/);
    assert.match(problems[3]!, /^zdup.workflow.mjs: .*already defined in three.workflow.mjs/);
  });

  it('workflow files import workflows-mcp and zod from a folder with no node_modules', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'defined.workflow.mjs': "import { defineWorkflow } from 'workflows-mcp';\nimport { z } from 'zod';\nexport default defineWorkflow({ name: 'Defined', input: z.object({ a: z.number() }), run: ({ a }) => ({ doubled: a * 2 }) });",
    });
    const cat = await discoverLocal(dir);
    assert.deepEqual(cat.problems, []);
    assert.equal(cat.workflows[0]!.id, 'defined');
    assert.deepEqual((await runOnce(dir, 'defined', { a: 21 })).final.output, { doubled: 42 });
  });

  it('slugs ids and orders versions', () => {
    assert.equal(kebabSlug('Invoice Total'), 'invoice-total');
    assert.ok(compareVersions('2', '10') < 0);
    assert.ok(compareVersions('1.10', '1.2') > 0);
    assert.ok(compareVersions('beta', 'alpha') > 0);
  });

  it('reports a missing folder as a problem, not a crash', async () => {
    const cat = await discoverLocal(join(tempDir(), 'missing'));
    assert.equal(cat.workflows.length, 0);
    assert.match(cat.problems[0]!.message, /ENOENT/);
  });
});

describe('local runs', () => {
  it('command workflows: stdin JSON in, stdout JSON out, progress lines from stderr', async () => {
    const dir = tempDir();
    const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const i=JSON.parse(s);console.error('progress: 50% halfway');console.error('plain log');process.stdout.write(JSON.stringify({twice:i.n*2}));});`;
    writeFiles(dir, { 'c.workflow.json': JSON.stringify({ name: 'C', input: { type: 'object' }, command: ['node', '-e', script] }) });
    const { updates, final } = await runOnce(dir, 'c', { n: 21 });
    assert.deepEqual(final.output, { twice: 42 });
    assert.equal(final.status, 'completed');
    assert.ok(updates.some((u) => u.message === 'halfway' && u.fraction === 0.5));
  });

  it('command workflows: a non-zero exit fails with the stderr tail; text output stays text', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'bad.workflow.json': JSON.stringify({ name: 'Bad', command: ['node', '-e', "console.error('no input file');process.exit(4)"] }),
      'txt.workflow.json': JSON.stringify({ name: 'Txt', command: ['node', '-e', "process.stdout.write('hello\\n')"] }),
      'missing.workflow.json': JSON.stringify({ name: 'Missing', command: ['./does-not-exist'] }),
    });
    const bad = (await runOnce(dir, 'bad', {})).final;
    assert.equal(bad.status, 'failed');
    assert.equal(bad.error, 'The command exited with code 4: no input file');
    assert.equal((await runOnce(dir, 'txt', {})).final.output, 'hello');
    assert.match((await runOnce(dir, 'missing', {})).final.error as string, /Could not start .*ENOENT/);
  });

  it('command workflows: cancel stops the whole process group; timeouts fail the run', async () => {
    const dir = tempDir();
    const marker = join(dir, 'child-still-alive');
    const script = `require('child_process').spawn('node',['-e',"setTimeout(()=>require('fs').writeFileSync(process.env.MARKER,'x'),1500)"],{stdio:'ignore'});setTimeout(()=>{},60000);`;
    writeFiles(dir, {
      'long.workflow.json': JSON.stringify({ name: 'Long', command: ['node', '-e', script], env: { MARKER: marker } }),
      'slowpoke.workflow.json': JSON.stringify({ name: 'Slowpoke', command: ['node', '-e', 'setTimeout(()=>{},60000)'], timeoutSeconds: 0.3 }),
    });
    const { final } = await runOnce(dir, 'long', {}, async (p, run) => {
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await p.cancel(run), { accepted: true });
    });
    assert.equal(final.status, 'cancelled');
    await new Promise((r) => setTimeout(r, 1800));
    assert.equal(existsSync(marker), false, 'the child process was stopped too');
    const timedOut = await runOnce(dir, 'slowpoke', {});
    assert.equal(timedOut.final.status, 'failed');
    assert.equal(timedOut.final.error, 'timed out after 0.3 s');
  });

  it('module workflows: a throw fails the run; a module that ignores cancel is still cancelled', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'fail.workflow.mjs': WF.fail,
      'deaf.workflow.mjs': "export default { name: 'Deaf', run: () => new Promise((r) => setTimeout(() => r('late'), 2000)) };",
      'bigint.workflow.mjs': "export default { name: 'BigInt', run: () => ({ n: 1n }) };",
    });
    assert.equal((await runOnce(dir, 'fail', {})).final.error, 'the thing broke');
    const { final } = await runOnce(dir, 'deaf', {}, async (p, run) => void (await p.cancel(run)));
    assert.equal(final.status, 'cancelled');
    assert.match((await runOnce(dir, 'bigint', {})).final.error as string, /not JSON/);
  });

  it('a module workflow gets a real AbortSignal as ctx.signal, aborted with the cancel that stops its run', async () => {
    const dir = tempDir();
    const seen = join(dir, 'seen.json');
    writeFiles(dir, {
      'listens.workflow.mjs': `import { writeFileSync } from 'node:fs';
export default { name: 'Listens', run: (_i, ctx) => new Promise((resolve) => {
  const s = ctx.signal;
  s.addEventListener('abort', () => { writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ real: s instanceof AbortSignal, any: AbortSignal.any([s]).aborted, same: ctx.signal === s, spread: { ...ctx }.signal === s, keys: Object.keys(ctx).sort(), reason: s.reason })); resolve('stopped'); });
}) };`,
    });
    const { final } = await runOnce(dir, 'listens', {}, async (p, run) => {
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await p.cancel(run), { accepted: true });
    });
    assert.equal(final.status, 'cancelled');
    await until(() => existsSync(seen));
    assert.deepEqual(JSON.parse(readFileSync(seen, 'utf8')), { real: true, any: true, same: true, spread: true, keys: ['log', 'progress', 'runId', 'signal'], reason: { kind: 'cancel', text: 'cancelled by request' } });
  });

  it('observing a run this process does not have reports it as lost with the server', async () => {
    const p = new LocalProvider({ dir: tempDir(), watch: false, log });
    const updates: RunUpdate[] = [];
    await p.observe({ runId: 'lr_gone' } as Run, (u) => void updates.push(u), new AbortController().signal);
    assert.equal(updates[0]!.status, 'failed');
    assert.equal(updates[0]!.error, 'server stopped while the run was in progress');
    await until(() => true);
  });
});
