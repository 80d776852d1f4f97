import type { JSONSchema } from '../types.js';

export type FieldType = 'text' | 'number' | 'boolean' | 'file';
export type FieldSpec = FieldType | { type: FieldType; required: boolean; description?: string | undefined };

const FILE: JSONSchema = {
  anyOf: [
    { type: 'string', minLength: 1, description: 'A local file path (inside the allowed folders) or a data: URL.' },
    { type: 'object', properties: { base64: { type: 'string' }, filename: { type: 'string', minLength: 1 } }, required: ['base64', 'filename'], additionalProperties: false },
  ],
};

export function normalizeField(spec: FieldSpec): { type: FieldType; required: boolean; description?: string | undefined } {
  return typeof spec === 'string' ? { type: spec, required: true } : spec;
}

/** The configured fields as the tool's input schema: every field is sent, so required ones are required. */
export function schemaOfFields(fields: Record<string, FieldSpec>): JSONSchema {
  const properties: Record<string, JSONSchema> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const f = normalizeField(spec);
    const base = f.type === 'file' ? FILE : { type: f.type === 'text' ? 'string' : f.type };
    properties[name] = f.description ? { ...base, description: f.description } : base;
    if (f.required) required.push(name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}
