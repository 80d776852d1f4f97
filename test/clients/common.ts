import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, ROOT, tempDir } from '../helpers/harness.js';
import { startHttpServer, stopServer } from '../helpers/http.js';

/**
 * What every framework suite drives: the built bin over stdio (the framework spawns it) or over
 * Streamable HTTP (started here), serving the bundled example workflows.
 */
const EXAMPLES = join(ROOT, 'examples/workflows');

export type TransportName = 'stdio' | 'http';

export interface Target {
  transport: TransportName;
  /** stdio: what the framework spawns. */
  command: string;
  args: string[];
  env: Record<string, string>;
  /** http: the /mcp endpoint. */
  url: string;
  close(): Promise<void>;
}

export async function startTarget(transport: TransportName, env: Record<string, string> = {}): Promise<Target> {
  const state = join(tempDir('wm-clients-'), 'state');
  const base = { command: process.execPath, args: [BIN, 'serve', '--local', EXAMPLES, '--state-dir', state], env: { PATH: process.env['PATH'] ?? '', HOME: tempDir(), ...env } };
  if (transport === 'stdio') return { transport, ...base, url: '', close: async () => {} };
  const server = await startHttpServer([], env);
  return { transport, ...base, url: server.url, close: async () => void (await stopServer(server.child)) };
}

/** Every tool the examples give: the workflows (latest and each version) and the static tools. */
export const WORKFLOW_TOOLS = [
  'local_batch_process', 'local_batch_process_v1', 'local_csv_to_json', 'local_csv_to_json_v1', 'local_invoice_total', 'local_invoice_total_v1', 'local_invoice_total_v2',
  'local_schedule_meeting', 'local_schedule_meeting_v1', 'local_send_notice', 'local_send_notice_v1', 'local_text_stats', 'local_text_stats_v1',
];
export const STATIC_TOOLS = ['run_workflow', 'search_workflows', 'refresh', 'get_run', 'wait_for_run', 'cancel_run', 'list_runs'];
export const ALL_TOOLS = [...WORKFLOW_TOOLS, ...STATIC_TOOLS].sort();

export interface ValidCase {
  tool: string;
  args: Record<string, unknown>;
  /** Fields the run's output must have. */
  output: Record<string, unknown>;
}

/** Valid input for the shapes converters get wrong: a oneOf of objects (ROOT and nested), $ref, enums, date-time, defaults. */
export const VALID: ValidCase[] = [
  { tool: 'local_send_notice', args: { channel: 'sms', phone: '+31612345678', text: 'Running late' }, output: { channel: 'sms', preview: 'Running late' } },
  { tool: 'local_send_notice', args: { channel: 'email', to: 'ada@example.com', subject: 'Minutes' }, output: { channel: 'email', to: 'ada@example.com' } },
  {
    tool: 'local_schedule_meeting',
    args: {
      title: 'Planning', starts_at: '2030-01-02T09:00:00Z', organizer: { name: 'Ada', email: 'ada@example.com' },
      attendees: [{ name: 'Grace', email: 'grace@example.com', role: 'optional' }], place: { kind: 'online', url: 'https://meet.example.com/x' },
    },
    // minutes (default 30) and priority (default "normal") filled in by the server
    output: { ends_at: '2030-01-02T09:30:00.000Z', priority: 'normal', where: 'https://meet.example.com/x' },
  },
  { tool: 'local_invoice_total', args: { lines: [{ qty: 2, price: 5 }], currency: 'USD' }, output: { currency: 'USD', gross: 12.1 } },
  { tool: 'run_workflow', args: { provider: 'local', workflow_id: 'send-notice', input: { channel: 'webhook', url: 'https://example.com/hook' } }, output: { channel: 'webhook' } },
];

/** Invalid input, and the field the rejection must name. */
export const INVALID: Array<{ tool: string; args: Record<string, unknown>; field: RegExp }> = [
  { tool: 'local_send_notice', args: { channel: 'sms', phone: '12', text: 'x' }, field: /phone/ },
  { tool: 'local_schedule_meeting', args: { ...VALID[2]!.args, starts_at: 'next tuesday' }, field: /starts_at|date-time/ },
];

/** The envelope essentials read from a result's text, as a model that sees only text would. */
export function essentials(text: string): { status: string; run_id: string } {
  const m = /status: (\w+) · run_id: (\S+)/.exec(text);
  assert.ok(m, `no status/run_id in the text: ${text.slice(0, 300)}`);
  return { status: m[1]!, run_id: m[2]! };
}

/** The output JSON that follows `output:` in a completed run's text. */
export function outputFromText(text: string): Record<string, unknown> {
  const at = text.indexOf('output:\n');
  assert.ok(at >= 0, `no output in the text: ${text.slice(0, 300)}`);
  return JSON.parse(text.slice(at + 'output:\n'.length)) as Record<string, unknown>;
}

export function assertOutput(got: Record<string, unknown>, want: Record<string, unknown>, what: string): void {
  for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${what}: output.${k}`);
}

/** Every text part of a result-like value, joined: what a text-only model sees. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).filter(Boolean).join('\n');
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (v['type'] === 'text' && typeof v['text'] === 'string') return v['text'];
    if (Array.isArray(v['content'])) return textOf(v['content']);
  }
  return '';
}

/** Arguments as a model would write them for the listed schema: objects as JSON text where the portable form asks for text. */
export function asListed(schema: unknown, args: Record<string, unknown>): Record<string, unknown> {
  const props = ((schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties) ?? {};
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, props[k]?.type === 'string' && v !== null && typeof v === 'object' ? JSON.stringify(v) : v]));
}
