import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignToolNames, refHash, toolSlug, type ToolRef } from '../../src/mcp/naming.js';

describe('tool naming', () => {
  it('slugs to lower-case [a-z0-9_] with no dots or dashes', () => {
    assert.equal(toolSlug('Enrich Lead (v2.1) — Crème-brûlée!'), 'enrich_lead_v2_1_creme_brulee');
    assert.equal(toolSlug('...'), '');
  });

  it('names workflow and version tools; falls back to the id when the name is empty', () => {
    const refs: ToolRef[] = [
      { provider: 'looply', workflowId: 'wf_1', name: 'Invoice Approval' },
      { provider: 'looply', workflowId: 'wf_1', name: 'Invoice Approval', version: '3' },
      { provider: 'cortex', workflowId: 'abc-123', name: '' },
      { provider: 'cortex', workflowId: 'x', name: 'X', version: 'v_abc.d' },
    ];
    assert.deepEqual(assignToolNames(refs), ['looply_invoice_approval', 'looply_invoice_approval_v3', 'cortex_abc_123', 'cortex_x_v_abc_d']);
  });

  it('cuts long names to the limit with a stable hash of provider/id/version', () => {
    const ref: ToolRef = { provider: 'local', workflowId: 'w', name: 'A very long workflow name that goes on and on and on forever', version: '12' };
    const [name] = assignToolNames([ref], 48);
    assert.equal(name!.length <= 48, true);
    assert.ok(name!.endsWith(`_${refHash(ref)}`));
    assert.match(name!, /^[a-z0-9_]+$/);
    assert.equal(assignToolNames([ref], 64)[0]!.length <= 64, true);
  });

  it('gives every member of a collision a hash, independent of order', () => {
    const a: ToolRef = { provider: 'local', workflowId: 'a', name: 'Same Name' };
    const b: ToolRef = { provider: 'local', workflowId: 'b', name: 'same-name' };
    const c: ToolRef = { provider: 'local', workflowId: 'c', name: 'Other' };
    const one = assignToolNames([a, b, c]);
    const two = assignToolNames([c, b, a]);
    assert.notEqual(one[0], one[1]);
    assert.equal(one[0], two[2]);
    assert.equal(one[1], two[1]);
    assert.equal(one[2], 'local_other');
    assert.match(one[0]!, /^local_same_name_[a-z0-9]{6}$/);
  });

  it('hashes are stable across runs (derived from ids only)', () => {
    assert.equal(refHash({ provider: 'local', workflowId: 'a', name: 'x' }), refHash({ provider: 'local', workflowId: 'a', name: 'renamed' }));
    assert.equal(refHash({ provider: 'local', workflowId: 'a', name: 'x' }).length, 6);
  });
});
