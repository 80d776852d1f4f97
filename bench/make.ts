/**
 * tools/list against a peer (figures, never assertions): Make's legacy MCP server
 * (`@makehq/mcp-server`, which re-reads the scenario list and every scenario's interface on each
 * tools/list) against this server with the same 200 workflows on Looply, both fakes on loopback
 * with the same latency. Both servers are spawned over stdio and listed through the SDK client
 * (which also compiles each declared output schema): after a warm-up, the median of 20 lists,
 * and the size of one listing with where its bytes go (bench/payload.ts). Writes
 * bench/results/make.json and its table in bench/README.md. `--dump`: prints the figures and
 * byte breakdowns and writes each listing to the temporary folder instead (nothing under bench/;
 * for working on the payload); `--ours-only`: the same without the peer.
 */
import { header, report, root } from './report.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { FakeLooply } from '../test/fakes/looply/server.js';
import { BIN, tempDir, writeFiles } from '../test/helpers/harness.js';
import { FakeMake, type MakeField } from './fake-make.js';
import { breakdownLine, payloadBreakdown, type PayloadBreakdown } from './payload.js';
import { STATIC_TOOLS } from '../src/mcp/tools/index.js';

const N = 200;
const LATENCY_MS = 50;
const LISTS = 20;
const OURS_ONLY = process.argv.includes('--ours-only');
const DUMP = OURS_ONLY || process.argv.includes('--dump');
const STATIC_NAMES = new Set(STATIC_TOOLS.map((t) => t.name));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Distinct fields per workflow: names, kinds, and which are required differ. */
function fields(i: number): MakeField[] {
  const kinds: MakeField['type'][] = ['text', 'number', 'boolean', 'select'];
  return Array.from({ length: 3 + (i % 5) }, (_, f) => {
    const type = kinds[(i + f) % 4]!;
    return { name: `w${i}_field_${f}`, type, required: f < 2, help: `Field ${f} of scenario ${i}`, ...(type === 'select' ? { options: [{ value: `a${i}` }, { value: `b${i}` }] } : {}) };
  });
}

function jsonSchema(input: MakeField[]): Record<string, unknown> {
  const types = { text: 'string', number: 'number', boolean: 'boolean', select: 'string' } as const;
  const properties = Object.fromEntries(input.map((f) => [f.name, { type: types[f.type], description: f.help, ...(f.options ? { enum: f.options.map((o) => o.value) } : {}) }]));
  return { type: 'object', properties, required: input.filter((f) => f.required).map((f) => f.name) };
}

async function timeLists(client: Client): Promise<{ ms: number; tools: number; kb: number; breakdown: PayloadBreakdown; listing: unknown }> {
  for (let i = 0; i < 3; i++) await client.listTools(); // warm-up
  const times: number[] = [];
  let last: Awaited<ReturnType<Client['listTools']>> | undefined;
  for (let i = 0; i < LISTS; i++) {
    const t = performance.now();
    last = await client.listTools();
    times.push(performance.now() - t);
  }
  return { ms: Math.round(median(times) * 10) / 10, tools: last!.tools.length, kb: Math.round(Buffer.byteLength(JSON.stringify(last)) / 102.4) / 10, breakdown: payloadBreakdown(last!, STATIC_NAMES), listing: last };
}

async function connect(args: string[], env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, env: { PATH: process.env['PATH'] ?? '', ...env }, stderr: 'ignore' }));
  return client;
}

/**
 * The issue's own peer listing was 44 KB for 200 scenarios: smaller interfaces than `fields`.
 * Two or three undocumented fields per scenario bring Make's listing to that size, so the payload
 * goal is also measured on the catalog it was set against (beside the richer one above).
 */
function smallFields(i: number): MakeField[] {
  const kinds: MakeField['type'][] = ['text', 'number', 'boolean'];
  return Array.from({ length: 2 + (i % 2) }, (_, f) => ({ name: `w${i}_f${f}`, type: kinds[(i + f) % 3]!, required: f === 0 }));
}

const dir = tempDir('wm-bench-make-');
const make = await new FakeMake().start(dir);
const looply = await new FakeLooply().start();
/** The same N workflows on both fakes, with interfaces from `shape`. */
function populate(shape: (i: number) => MakeField[]): void {
  make.scenarios.length = 0;
  looply.workflows.length = 0;
  for (let i = 0; i < N; i++) {
    const input = shape(i);
    make.scenarios.push({ id: 1000 + i, name: `Scenario ${i}`, description: `Does thing ${i}`, input });
    looply.workflows.push({ workflow_id: `wf-${String(i).padStart(3, '0')}`, workflow_name: `Scenario ${i}`, workflow_version: 1, workflow_status: 'ACTIVE', latest: true, workflow_schema: jsonSchema(input) });
  }
}
populate(fields);
make.latencyMs = LATENCY_MS;
looply.knobs.latencyMs = LATENCY_MS;

/** Make's server over the same 200 scenarios, and the platform requests it makes per list. */
async function peerFigures(): Promise<Awaited<ReturnType<typeof timeLists>> & { requests: number }> {
  const peer = await connect([join(root, 'node_modules/@makehq/mcp-server/build/index.js')], { MAKE_API_KEY: make.key, MAKE_ZONE: `localhost:${make.port}`, MAKE_TEAM: String(make.team), NODE_EXTRA_CA_CERTS: make.caFile });
  const requestsBefore = make.requests;
  const figures = await timeLists(peer);
  const requests = (make.requests - requestsBefore) / (LISTS + 3);
  await peer.close();
  return { ...figures, requests };
}
const makeFigures = OURS_ONLY ? undefined : await peerFigures();

/** Our server over the same 200 workflows, with `config`; measured once the whole catalog is in. */
async function ours(name: string, config: Record<string, unknown>, perWorkflow: number): Promise<Awaited<ReturnType<typeof timeLists>> & { requests: number }> {
  const home = join(dir, name);
  writeFiles(home, { 'workflows-mcp.config.json': JSON.stringify(config) });
  const client = await connect([BIN, 'serve', '--config', join(home, 'workflows-mcp.config.json'), '--local', join(home, 'none'), '--state-dir', join(home, 'state'), '--log-level', 'error'], { LOOPLY_API_KEY: looply.key, LOOPLY_BASE_URL: looply.url, HOME: home });
  // Served within 1 s of start-up; the rest of the catalog arrives with list_changed.
  const deadline = Date.now() + 60_000;
  while ((await client.listTools()).tools.filter((t) => t.name.startsWith('looply_')).length < N * perWorkflow && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const before = Object.values(looply.calls).reduce((a, b) => a + b, 0);
  const figures = await timeLists(client);
  const requests = (Object.values(looply.calls).reduce((a, b) => a + b, 0) - before) / (LISTS + 3);
  await client.close();
  return { ...figures, requests };
}
// maxTools raised: past it (100 by default) only the generic tools are listed, which would flatter.
const latest = await ours('latest', { maxTools: 1000, providers: { looply: { apiKey: '${LOOPLY_API_KEY}', versions: 'latest' } } }, 1);
const all = await ours('all', { maxTools: 1000 }, 2);
populate(smallFields);
const smallPeer = OURS_ONLY ? undefined : await peerFigures();
const small = await ours('small', { maxTools: 1000, providers: { looply: { apiKey: '${LOOPLY_API_KEY}', versions: 'latest' } } }, 1);
const smallAll = await ours('small-all', { maxTools: 1000 }, 2);
await make.close();
await looply.close();

if (DUMP || !makeFigures) {
  const runs = [['peer', makeFigures], ['latest', latest], ['all versions', all], ['small peer', smallPeer], ['small', small], ['small, all versions', smallAll]] as const;
  for (const [label, f] of runs) {
    if (!f) continue;
    const file = join(dir, `listing-${label.replace(/[ ,]+/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(f.listing, null, 2));
    process.stdout.write(`${label}: ${f.tools} tools, ${f.kb} KB, list p50 ${f.ms} ms (listing in ${file})\n  ${breakdownLine(f.breakdown)}\n  ${JSON.stringify(f.breakdown)}\n`);
  }
  process.exit(0);
}

report('make', 'make-results', {
  ...header(),
  workflows: N,
  fake_latency_ms: LATENCY_MS,
  peer_make_tools_list_ms_p50: makeFigures.ms,
  peer_make_platform_requests_per_list: makeFigures.requests,
  peer_make_tools: makeFigures.tools,
  peer_make_payload_kb: makeFigures.kb,
  tools_list_ms_p50: latest.ms,
  platform_requests_per_list: latest.requests,
  tools: latest.tools,
  payload_kb: latest.kb,
  payload_by_field: breakdownLine(latest.breakdown),
  times_faster_than_peer: Math.round((makeFigures.ms / latest.ms) * 10) / 10,
  all_versions_tools_list_ms_p50: all.ms,
  all_versions_tools: all.tools,
  all_versions_payload_kb: all.kb,
  all_versions_payload_by_field: breakdownLine(all.breakdown),
  all_versions_times_faster_than_peer: Math.round((makeFigures.ms / all.ms) * 10) / 10,
  small_catalog_peer_make_payload_kb: smallPeer!.kb,
  small_catalog_payload_kb: small.kb,
  small_catalog_payload_by_field: breakdownLine(small.breakdown),
  small_catalog_all_versions_payload_kb: smallAll.kb,
  goals: 'times_faster_than_peer >= 10 (and all_versions_…); payload_kb <= 120 (and all_versions_…)',
});
