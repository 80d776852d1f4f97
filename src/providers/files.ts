import { openAsBlob, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { WorkflowError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';

export interface FilePart {
  blob: Blob;
  filename: string;
  size: number;
}

export interface FileRules {
  roots: string[];
  maxBytes: number;
}

function bad(field: string, message: string): WorkflowError {
  return new WorkflowError('invalid_arguments', `Invalid arguments; no run was started.\n- ${field}: ${message}`);
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * A file argument as an upload: a local path inside an allowed root (symlinks resolved first),
 * a `data:` URL, or `{ base64, filename }` — size-checked before anything is sent. Paths stream
 * from disk (openAsBlob) instead of being read into memory.
 */
export async function fileFor(field: string, value: unknown, rules: FileRules): Promise<FilePart> {
  if (isPlainObject(value) && typeof value['base64'] === 'string' && typeof value['filename'] === 'string') {
    const bytes = Buffer.from(value['base64'], 'base64');
    if (bytes.length > rules.maxBytes) throw bad(field, `the file is ${bytes.length} bytes, over the ${rules.maxBytes}-byte limit`);
    return { blob: new Blob([bytes]), filename: basename(value['filename']) || 'upload', size: bytes.length };
  }
  if (typeof value !== 'string' || value === '') throw bad(field, 'expected a file: a path, a data: URL, or { "base64": …, "filename": … }');
  if (value.startsWith('data:')) {
    const m = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(value);
    if (!m) throw bad(field, 'not a valid data: URL');
    const bytes = m[2] ? Buffer.from(m[3]!, 'base64') : Buffer.from(decodeURIComponent(m[3]!), 'utf8');
    if (bytes.length > rules.maxBytes) throw bad(field, `the file is ${bytes.length} bytes, over the ${rules.maxBytes}-byte limit`);
    return { blob: new Blob([bytes], { type: m[1] || 'application/octet-stream' }), filename: 'upload', size: bytes.length };
  }
  const roots = rules.roots.map((r) => safeRealpath(r)).filter((r): r is string => r !== null);
  const wanted = isAbsolute(value) ? value : resolve(roots[0] ?? process.cwd(), value);
  const real = safeRealpath(wanted);
  if (!real) throw bad(field, `no file at ${value}`);
  if (!roots.some((root) => inside(root, real))) throw bad(field, `${value} is outside the folders files may come from (${rules.roots.join(', ')}); copy it there, or pass its content as a data: URL`);
  const stat = statSync(real);
  if (!stat.isFile()) throw bad(field, `${value} is not a file`);
  if (stat.size > rules.maxBytes) throw bad(field, `${value} is ${stat.size} bytes, over the ${rules.maxBytes}-byte limit`);
  return { blob: await openAsBlob(real), filename: basename(real), size: stat.size };
}

function safeRealpath(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}
