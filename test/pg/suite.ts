import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pgUnavailable } from '../helpers/pg.js';
import { dropFileDatabaseAfter } from '../helpers/stores.js';

const mcpDir = join(dirname(fileURLToPath(import.meta.url)), '../mcp');

/**
 * The whole MCP suite (test/mcp) again, with the run journal in PostgreSQL: the same test files,
 * imported into this process with the harness switched to a fresh schema per state folder.
 * Split in `parts` so the runners share the work and no file nears the per-file timeout.
 */
export async function mcpSuiteOnPostgres(part: number, parts: number): Promise<void> {
  const why = await pgUnavailable();
  if (why) {
    it(`the MCP suite on PostgreSQL (part ${part + 1} of ${parts})`, { skip: why }, () => {});
    return;
  }
  process.env['WORKFLOWS_MCP_TEST_BACKEND'] = 'postgres';
  dropFileDatabaseAfter();
  const only = process.env['WORKFLOWS_MCP_TEST_ONLY']; // while working on one file: its name, e.g. cortex
  const files = readdirSync(mcpDir).filter((f) => f.endsWith('.test.js') && (!only || f.startsWith(`${only}.`))).sort();
  for (const [i, f] of files.entries()) if (only ? part === 0 : i % parts === part) await import(pathToFileURL(join(mcpDir, f)).href);
}
