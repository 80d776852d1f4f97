import { WorkflowError } from '../../core/errors.js';
import { fileFor, type FileRules } from '../files.js';
import type { UploadFile } from './client.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * File fields of a Cortex run: a local path (inside the allowed folders), a data: URL or
 * `{base64, filename}` goes up as a multipart part under the field's key; an http(s) URL or
 * bare base64 content stays in the JSON input, as Cortex's own examples send it.
 */
export async function uploadsFor(input: Record<string, unknown>, fileFields: string[], rules: FileRules): Promise<{ json: Record<string, unknown>; uploads: UploadFile[]; journaled: Record<string, unknown> }> {
  const json = { ...input };
  const journaled = { ...input };
  const uploads: UploadFile[] = [];
  for (const field of fileFields) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    const items = Array.isArray(value) ? value : [value];
    const kept: unknown[] = [];
    for (const item of items) {
      if (typeof item === 'string' && /^https?:\/\//i.test(item)) {
        kept.push(item);
        continue;
      }
      try {
        const part = await fileFor(field, item, rules);
        uploads.push({ field, blob: part.blob, filename: part.filename });
      } catch (err) {
        // Not a file we can read: bare base64 content is what Cortex's examples send in JSON.
        if (typeof item === 'string' && item.length >= 8 && item.length % 4 === 0 && BASE64.test(item)) kept.push(item);
        else throw err;
      }
    }
    if (kept.length === items.length) continue;
    if (kept.length) throw new WorkflowError('invalid_arguments', `Invalid arguments; no run was started.\n- ${field}: mix of uploads and URLs in one field; pass either files or URLs`);
    delete json[field];
    journaled[field] = Array.isArray(value) ? value.map(describe) : describe(value);
  }
  return { json, uploads, journaled };
}

function describe(v: unknown): unknown {
  return typeof v === 'string' && !v.startsWith('data:') ? v : '(file content)';
}
