import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlainObject, type JsonObject } from '../../src/core/json.js';
import { decodeJsonArgs, portableSchema, schemaModeFor } from '../../src/mcp/portable.js';
import { prepareSchema } from '../../src/mcp/schema.js';
import { describeStaticTool } from '../../src/mcp/tool.js';
import { STATIC_TOOLS } from '../../src/mcp/tools/index.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const examples = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'examples/workflows');
const load = async (file: string): Promise<{ input: unknown }> => ((await import(pathToFileURL(join(examples, file)).href)) as { default: { input: unknown } }).default;
const meeting = await load('schedule-meeting.workflow.mjs');
const notice = await load('send-notice.workflow.mjs');

/** Every node of a schema, depth first. */
function* nodes(s: unknown): Generator<JsonObject> {
  if (Array.isArray(s)) for (const x of s) yield* nodes(x);
  else if (isPlainObject(s)) {
    yield s;
    for (const v of Object.values(s)) yield* nodes(v);
  }
}

/** The shape strict converters (OpenAI Agents) refuse: keywords they cannot normalise, open objects with no declared fields. */
function strictProblems(schema: JsonObject): string[] {
  const out: string[] = [];
  for (const n of nodes(schema)) {
    for (const k of ['oneOf', 'allOf', '$ref', '$defs', 'propertyNames', 'patternProperties', 'not', 'if']) if (k in n && (k !== 'not' || isPlainObject(n['not']))) out.push(k);
    const declared = isPlainObject(n['properties']) && Object.keys(n['properties']).length > 0;
    if (n['type'] === 'object' && n['additionalProperties'] !== false && (!declared || 'additionalProperties' in n)) out.push('open object');
    if (Array.isArray(n['anyOf']) && Object.keys(n).some((k) => !['anyOf', 'description', 'title', 'default'].includes(k))) out.push('anyOf with siblings');
  }
  return out;
}

/** Accepted by the full schema → accepted by the portable one (it only ever widens). */
function assertWidens(full: JsonObject, valid: unknown[], invalidForBoth: unknown[] = []): JsonObject {
  const portable = portableSchema(prepareSchema(full).schema);
  const p = prepareSchema(portable);
  const f = prepareSchema(full);
  for (const v of valid) {
    assert.equal(f.validate(v as JsonObject).ok, true, `the full schema accepts ${JSON.stringify(v)}`);
    assert.deepEqual(p.validate(v as JsonObject).ok ? true : (p.validate(v as JsonObject) as { problems: string[] }).problems, true, `the portable schema accepts ${JSON.stringify(v)}`);
  }
  for (const v of invalidForBoth) assert.equal(p.validate(v as JsonObject).ok, false, `the portable schema still refuses ${JSON.stringify(v)}`);
  return portable;
}

describe('the portable schema form', () => {
  it('merges a root oneOf of objects so that every branch still passes, and says which shapes there are', () => {
    const portable = assertWidens(notice.input as JsonObject, [
      { channel: 'email', to: 'a@b.example', subject: 'Hi' },
      { channel: 'sms', phone: '+31612345678', text: 'x' },
      { channel: 'webhook', url: 'https://example.com', send_after: '2030-01-01T00:00:00Z' },
    ], [{ channel: 'fax' }, { nope: 1 }]);
    assert.deepEqual(strictProblems(portable), []);
    const props = portable['properties'] as Record<string, JsonObject>;
    assert.deepEqual(props['channel'], { enum: ['email', 'sms', 'webhook'] });
    assert.deepEqual(portable['required'], ['channel'], 'only what every branch requires');
    assert.equal(portable['additionalProperties'], false);
    assert.match(String(portable['description']), /One of these shapes: \{channel: "email", to, subject, body\?\} \| \{channel: "sms", phone, text\}/);
  });

  it('inlines $ref, merges a nested oneOf, and keeps format and default in descriptions', () => {
    const valid = {
      title: 'x', starts_at: '2030-01-02T09:00:00Z', organizer: { name: 'A', email: 'a@b.example' }, attendees: [{ name: 'B', email: 'b@b.example', role: 'optional' }],
      place: { kind: 'room', room: '4.12' },
    };
    const portable = assertWidens(meeting.input as JsonObject, [valid, { ...valid, place: { kind: 'online', url: 'https://x.example', dial_in: true } }], [{ ...valid, priority: 'urgent' }]);
    assert.deepEqual(strictProblems(portable), []);
    const props = portable['properties'] as Record<string, JsonObject>;
    assert.equal((props['organizer']!['properties'] as Record<string, JsonObject>)['email']!['format'], 'email');
    assert.match(String(props['starts_at']!['description']), /\(format: date-time\)/);
    assert.match(String(props['minutes']!['description']), /default: 30/);
    assert.equal(props['minutes']!['default'], 30, 'the keyword itself stays for converters that keep it');
  });

  it('ends recursive $refs in a described any-value, and inlines the rest', () => {
    const tree: JsonObject = { type: 'object', properties: { root: { $ref: '#/$defs/node' } }, $defs: { node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['name'] } } };
    const portable = assertWidens(tree, [{ root: { name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] } }]);
    assert.ok(![...nodes(portable)].some((n) => '$ref' in n));
    assert.match(JSON.stringify(portable), /A \\"node\\" value; the server checks its shape/);
  });

  it('widens allOf, patternProperties, non-object unions and "not" rather than rejecting valid input', () => {
    assertWidens({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'number' } } }], type: 'object' }, [{ a: 'x', b: 1 }], [{ b: 1 }]);
    assertWidens({ type: 'object', properties: { id: { type: 'string' } }, patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false }, [{ id: '1', 'x-trace': 't' }]);
    assertWidens({ type: 'object', properties: { v: { oneOf: [{ type: 'string' }, { type: 'object', properties: { n: { type: 'number' } }, additionalProperties: false }, { type: 'object', properties: { s: { type: 'string' } }, additionalProperties: false }] }, w: { type: 'string', not: { const: 'x' } } } }, [{ v: 'a' }, { v: { n: 1 } }, { v: { s: 'x' } }, { w: 'y' }]);
  });

  it('falls back to an outline of the top-level fields when inlining grows too large', () => {
    const defs: JsonObject = {};
    for (let i = 0; i < 8; i++) defs[`d${i}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`f${j}`, i === 7 ? { type: 'string', description: 'x'.repeat(200) } : { $ref: `#/$defs/d${i + 1}` }])) };
    const portable = portableSchema({ type: 'object', properties: { top: { $ref: '#/$defs/d0', description: 'The top.' } }, required: ['top'], $defs: defs });
    assert.match(String(portable['description']), /shortened/);
    assert.deepEqual(Object.keys(portable['properties'] as JsonObject), ['top']);
    assert.ok(JSON.stringify(portable).length < 2000);
  });

  it('lists every static tool in a form strict converters take: free-form objects as JSON text', () => {
    for (const t of STATIC_TOOLS) {
      const full = describeStaticTool(t).inputSchema as JsonObject;
      assert.ok(![...nodes(full)].some((n) => 'propertyNames' in n), `${t.name}: no propertyNames`);
      assert.deepEqual(strictProblems(portableSchema(full)), [], t.name);
    }
    const run = portableSchema(describeStaticTool(STATIC_TOOLS.find((t) => t.name === 'run_workflow')!).inputSchema as JsonObject);
    assert.equal((run['properties'] as Record<string, JsonObject>)['input']!['type'], 'string');
  });
});

describe('reading arguments from converters', () => {
  const schema: JsonObject = { type: 'object', properties: { input: { type: 'object' }, version: { type: 'string' }, note: { type: ['string', 'null'] }, must: { type: 'string' } }, required: ['must'] };
  it('parses JSON text where the schema takes an object, and drops null for optional fields that refuse null', () => {
    assert.deepEqual(decodeJsonArgs(schema, { input: '{"a": 1}', version: null, note: null, must: null }), { input: { a: 1 }, note: null, must: null });
    assert.deepEqual(decodeJsonArgs(schema, { input: 'not json' }), { input: 'not json' }, 'left for validation to report');
    assert.deepEqual(decodeJsonArgs(schema, { input: '[1]' }), { input: '[1]' });
  });
});

describe('which clients get the portable form', () => {
  it('follows the setting, and for auto the clients known to need it', () => {
    assert.equal(schemaModeFor('full', { name: '@langchain/mcp-adapters', version: '1' }), 'full');
    assert.equal(schemaModeFor('portable', { name: 'claude-ai', version: '1' }), 'portable');
    assert.equal(schemaModeFor('auto', { name: '@langchain/mcp-adapters', version: '1' }), 'portable');
    assert.equal(schemaModeFor('auto', { name: 'stdio: /usr/bin/node', version: '1.0.0' }), 'portable');
    assert.equal(schemaModeFor('auto', { name: 'streamable-http: http://127.0.0.1:3333/mcp', version: '1.0.0' }), 'portable');
    assert.equal(schemaModeFor('auto', { name: 'ai-sdk-mcp-client', version: '1.0.0' }), 'full');
    assert.equal(schemaModeFor('auto', undefined), 'full');
  });
});
