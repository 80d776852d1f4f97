import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WorkflowError } from '../../src/core/errors.js';
import { uploadsFor } from '../../src/providers/cortex/files.js';
import { tempDir } from '../helpers/harness.js';

describe('cortex file fields', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.pdf'), '%PDF-1.4 a');
  const rules = { roots: [dir], maxBytes: 1000 };

  it('paths and data: URLs become parts; https URLs and bare base64 stay in the JSON input', async () => {
    const b64 = Buffer.from('hello world, this is a file').toString('base64');
    const r = await uploadsFor({ doc: 'a.pdf', url: 'https://x.y/z.pdf', raw: b64, many: ['a.pdf', 'data:text/plain;base64,aGk='], note: 'n' }, ['doc', 'url', 'raw', 'many'], rules);
    assert.deepEqual(r.json, { url: 'https://x.y/z.pdf', raw: b64, note: 'n' });
    assert.deepEqual(r.uploads.map((u) => `${u.field}:${u.filename}:${u.blob.size}`), ['doc:a.pdf:10', 'many:a.pdf:10', 'many:upload:2']);
    assert.deepEqual(r.journaled['doc'], 'a.pdf');
    assert.deepEqual(r.journaled['many'], ['a.pdf', '(file content)']);
  });

  it('refuses a path outside the allowed folders and a field mixing uploads with URLs, naming the field', async () => {
    await assert.rejects(uploadsFor({ doc: '/etc/passwd' }, ['doc'], rules), (err: WorkflowError) => err.code === 'invalid_arguments' && /doc: \/etc\/passwd is outside/.test(err.message));
    await assert.rejects(uploadsFor({ doc: ['a.pdf', 'https://x.y/z'] }, ['doc'], rules), (err: WorkflowError) => /doc: mix of uploads and URLs/.test(err.message));
    await assert.rejects(uploadsFor({ doc: 'missing.pdf' }, ['doc'], rules), (err: WorkflowError) => /doc: no file at missing\.pdf/.test(err.message));
  });
});
