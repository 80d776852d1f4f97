import type { FakeCortex, FakeWorkflowDef } from './server.js';

const STEPS = [
  { key: 'start', type: 'input' as const },
  { key: 'fetch', type: 'http_request' as const },
  { key: 'summarize', type: 'model' as const, chunks: 5 },
  { key: 'finish', type: 'code' as const },
];

/** A varied set of Cortex workflows, shared by the MCP tests and the bench. */
export function cortexFixtures(): FakeWorkflowDef[] {
  return [
    {
      id: 'wf_sum', name: 'Summarize Document', description: 'Summarizes a document.', scope: 'own', deployed: 2, tags: ['docs'],
      versions: [
        { id: 'ver_sum_1', version: 1, input: { text: { type: 'string', name: 'Text' } }, steps: STEPS, result: { summary: 'v1' } },
        {
          id: 'ver_sum_2', version: 2, steps: STEPS, result: { summary: 'short' },
          input: {
            text: { type: 'string', name: 'Text', desc: 'What to summarize.' },
            tone: { type: 'select', options: [{ label: 'Formal', value: 'formal' }, { label: 'Casual', value: 'casual' }] },
            source: { type: 'string', validation: 'url', optional: true },
            words: { type: 'number', optional: true },
            intro: { type: 'content', content: '# Hello' },
          },
          input_default: { tone: 'formal' },
        },
      ],
    },
    {
      id: 'wf_extract', name: 'Extract Fields', scope: 'own', deployed: 1,
      versions: [{ id: 'ver_ext_1', version: 1, input: { doc: { type: 'file', allowed_types: ['application/pdf'] }, note: { type: 'string', optional: true } }, steps: [{ key: 'extract', type: 'code' }], result: { fields: 3 } }],
    },
    {
      id: 'wf_fail', name: 'Flaky Pipeline', scope: 'own', deployed: 1,
      versions: [{ id: 'ver_fail_1', version: 1, input: {}, steps: [{ key: 'one', type: 'code' }, { key: 'two', type: 'http_request', fail: true }, { key: 'three', type: 'code' }] }],
    },
    { id: 'wf_draft', name: 'Never Deployed', scope: 'own', deployed: null, versions: [], draft: { input: { q: { type: 'string' } }, steps: [{ key: 'think', type: 'model', chunks: 2 }], result: { draft: true } } },
    { id: 'wf_shared', name: 'Shared Translator', scope: 'discover', deployed: 3, tags: ['lang'], versions: [{ id: 'ver_tr_3', version: 3, input: { text: { type: 'string' } }, steps: [{ key: 'translate', type: 'model', chunks: 3 }], result: { text: 'hallo' } }] },
  ];
}

/** Input definitions meant to break a converter: very deep, very wide, unknown types. */
export function hostileWorkflow(): FakeWorkflowDef {
  let deep: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 50; i++) deep = { type: 'object', fields: { next: deep } };
  const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, { type: 'string', optional: true }]));
  return {
    id: 'wf_hostile', name: 'Hostile Schema', scope: 'own', deployed: 1,
    versions: [{ id: 'ver_h_1', version: 1, input: { deep, weird: { type: 'hologram' }, broken: 'not a field', ...wide }, steps: [{ key: 'x', type: 'code' }] }],
  };
}

export function reset(fake: FakeCortex, workflows: FakeWorkflowDef[] = cortexFixtures()): void {
  fake.workflows.length = 0;
  fake.workflows.push(...workflows);
  fake.runs.clear();
  fake.starts.length = 0;
  fake.replays.length = 0;
  fake.queries.length = 0;
  fake.unexpected.length = 0;
  for (const k of Object.keys(fake.calls)) delete fake.calls[k];
  Object.assign(fake.knobs, { latencyMs: 0, stepMs: 5, failures: [], dropStreamAfter: null, ignoreStream: false, junkRows: [], silentCancel: false });
  fake.streamsClosedByClient = 0;
}
