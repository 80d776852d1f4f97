import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToRegExp } from '../../src/core/glob.js';

const matches = (glob: string, name: string): boolean => globToRegExp(glob).test(name);

describe('globs (include/exclude, Looply state maps)', () => {
  it('* and ? as before, whole string, any case', () => {
    assert.ok(matches('inv*', 'Invoice Total'));
    assert.ok(matches('in?oice', 'INVOICE'));
    assert.ok(!matches('inv', 'invoice'));
    assert.ok(matches('**total', 'invoice total'), '** is * (names have no folders)');
    assert.ok(!matches('a.b', 'axb'), 'regex characters are literal');
  });

  it('classes, ranges, negation, alternatives and escapes', () => {
    assert.ok(matches('[ab]c', 'bc') && !matches('[ab]c', 'dc'));
    assert.ok(matches('v[0-9]', 'v7') && !matches('v[0-9]', 'vx'));
    assert.ok(matches('[!ab]c', 'dc') && !matches('[!ab]c', 'ac'));
    assert.ok(matches('[^ab]c', 'dc') && !matches('[^ab]c', 'bc'));
    assert.ok(matches('{wait,approval}*', 'approval_needed') && matches('{wait,approval}*', 'waiting'));
    assert.ok(!matches('{wait,approval}*', 'done'));
    assert.ok(matches('{*_done,finished}', 'step_done'), 'alternatives may hold globs');
    assert.ok(matches('a\\*b', 'a*b') && !matches('a\\*b', 'axb'));
  });

  it('an unclosed [ or { is a literal character', () => {
    assert.ok(matches('[x', '[x'));
    assert.ok(matches('{a', '{a'));
  });
});
