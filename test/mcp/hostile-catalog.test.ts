import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envelope, startHarness, tempDir, until, WF, type Harness } from '../helpers/harness.js';
import { looplyFake } from '../helpers/looply.js';

let h: Harness | undefined;
const { fake, env } = looplyFake(async () => {
  await h?.close();
  h = undefined;
});

const normal = { workflow_id: 'wf-enrich', workflow_name: 'Enrich Lead', workflow_version: 4, workflow_status: 'ACTIVE' as const, latest: true, workflow_schema: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] }, states: ['start', 'end'] };

describe('a hostile platform catalog', () => {
  it('a Looply schema nesting 2,000 and 100,000 levels deep: the server starts, lists everything, the deep tools accept any object, one warning each', async () => {
    fake.workflows.push(
      normal,
      { workflow_id: 'wf-deep', workflow_name: 'Deep', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, schemaNesting: 2000, states: ['start', 'end'] },
      { workflow_id: 'wf-deeper', workflow_name: 'Deeper', workflow_version: 1, workflow_status: 'ACTIVE', latest: true, schemaNesting: 100_000, states: ['start', 'end'] },
    );
    const stateDir = tempDir();
    h = await startHarness({ env: env(), files: { 'echo.workflow.mjs': WF.echo }, stateDir });
    const tools = (await h.client.listTools()).tools;
    const names = tools.map((t) => t.name);
    for (const n of ['local_echo', 'looply_enrich_lead', 'looply_deep', 'looply_deeper']) assert.ok(names.includes(n), `${n} listed`);
    assert.deepEqual(tools.find((t) => t.name === 'looply_deep')!.inputSchema, { type: 'object', additionalProperties: true });
    assert.deepEqual(tools.find((t) => t.name === 'looply_enrich_lead')!.inputSchema.required, ['email']);
    await h.app.deps.catalog.refresh();
    const warnings = h.logs.filter((l) => /looply wf-deep(er)? v1: the input schema nests deeper than/.test(l));
    assert.equal(warnings.length, 2, `one warning per deep workflow, not one per refresh or per tool: ${warnings.join('\n')}`);
    const tick = setInterval(() => fake.advance(1), 100);
    const r = await h.call('looply_deep', { anything: { goes: 1 } }).finally(() => clearInterval(tick));
    assert.equal(envelope(r)['status'], 'completed');
    assert.deepEqual(fake.triggers.at(-1)?.body, { anything: { goes: 1 } });
    // A restart reads the bounded snapshot and lists at once.
    await h.close();
    h = await startHarness({ env: env(), stateDir });
    assert.ok((await h.client.listTools()).tools.some((t) => t.name === 'looply_deeper'));
  });
});

describe('a catalog too big for one tools/list answer', () => {
  it('40 workflows with ~230 KB schemas each (80 tools, ~18 MB): tools/list pages by size, every page well under the 8 MB cap, all tools reachable', async () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 1400; i++) properties[`field_${i}`] = { type: 'string', description: 'd'.repeat(120) };
    for (let w = 0; w < 40; w++) fake.workflows.push({ workflow_id: `wf-big-${w}`, workflow_name: `Big ${w}`, workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object', properties }, states: ['start', 'end'] });
    h = await startHarness({ env: env(), configFile: { maxTools: 1000 } });
    await h.app.deps.catalog.refresh();
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.client.listTools(cursor === undefined ? {} : { cursor });
      assert.ok(JSON.stringify(page).length < 6 * 1024 * 1024, `page ${pages} is ${JSON.stringify(page).length} bytes`);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    assert.ok(pages >= 4, `${pages} pages`);
    assert.equal(names.filter((n) => n.startsWith('looply_big_')).length, 80);
    assert.equal(new Set(names).size, names.length, 'no tool twice');
  });
});
describe('a big platform listed from its snapshot while it is read again', () => {
  it('a workflow already re-read is callable at once, before the platform has answered in full', { timeout: 60_000 }, async () => {
    fake.workflows.push(normal);
    for (let i = 0; i < 40; i++) fake.workflows.push({ workflow_id: `wf-z-${i}`, workflow_name: `Filler ${i}`, workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: { type: 'object' }, states: ['start', 'end'] });
    const stateDir = tempDir();
    h = await startHarness({ env: env(), stateDir, live: true });
    await h.app.deps.catalog.refresh(); // the snapshot is saved once the whole catalog is read
    await h.close();
    let release = (): void => {};
    fake.knobs.listHold = { afterPages: 1, release: new Promise<void>((r) => (release = r)) };
    fake.calls['GET getOrganizationWorkflows'] = 0;
    try {
      h = await startHarness({ env: env(), stateDir, live: true });
      const catalog = h.app.deps.catalog;
      // wf-enrich is on the first page: fresh as soon as its schema is read and published.
      await until(async () => (await catalog.whenFresh('looply', 0, catalog.entry('looply_enrich_lead')!.workflow)) === null, 10_000, 'wf-enrich to be re-read');
      assert.deepEqual(catalog.reading, ['looply'], 'the rest of Looply is still being read');
      const tick = setInterval(() => fake.advance(1), 100);
      const r = await h.call('looply_enrich_lead', { email: 'a@b.c' }).finally(() => clearInterval(tick));
      assert.equal(envelope(r)['status'], 'completed', JSON.stringify(r.content));
      const filler = await catalog.whenFresh('looply', 0, catalog.entry('looply_filler_9')!.workflow);
      assert.match(filler ?? '', /looply has not answered since this server started/, 'a workflow not yet re-read still waits for its platform');
    } finally {
      release();
      fake.knobs.listHold = null;
    }
  });
});

describe('a workflow resource too big for one message', () => {
  it('40 versions with ~230 KB schemas each (~9 MB): the resource answers under the cap, the latest schemas whole, older ones left out with a note', async () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 1400; i++) properties[`field_${i}`] = { type: 'string', description: 'd'.repeat(120) };
    for (let v = 1; v <= 40; v++) fake.workflows.push({ workflow_id: 'wf-many', workflow_name: 'Many', workflow_version: v, workflow_status: 'ACTIVE', latest: v === 40, workflow_schema: { type: 'object', properties: { ...properties, [`v${v}`]: { type: 'number' } } }, states: ['start', 'end'] });
    h = await startHarness({ env: env(), configFile: { maxTools: 1000 } });
    await h.app.deps.catalog.refresh();
    const read = await h.client.readResource({ uri: 'workflows://workflows/looply/wf-many' });
    const text = (read.contents[0] as { text: string }).text;
    assert.ok(text.length < 6 * 1024 * 1024, `${text.length} bytes`);
    const detail = JSON.parse(text) as { latest: string; versions: Array<{ key: string; tool: string | null; input_schema: { properties?: Record<string, unknown> } | null; schemas_left_out?: true }>; versions_note?: string };
    assert.equal(detail.versions.length, 40, 'every version listed');
    assert.equal(detail.latest, '40');
    const latest = detail.versions.find((v) => v.key === '40')!;
    assert.ok(latest.input_schema?.properties?.['v40'], 'the latest version keeps its schema');
    const left = detail.versions.filter((v) => v.schemas_left_out);
    assert.ok(left.length > 20 && left.every((v) => v.input_schema === null && v.tool !== null), `${left.length} versions without schemas, each with its tool`);
    assert.ok(!detail.versions.find((v) => v.key === '1')!.input_schema, 'the oldest are the ones left out');
    assert.match(detail.versions_note ?? '', new RegExp(`schemas of ${left.length} older versions are left out`));
  });
});
