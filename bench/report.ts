import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (benchmarks run from dist/bench). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What every figure file starts with. */
export function header(): Record<string, unknown> {
  return { when: new Date().toISOString(), node: process.version, machine: '2 cores (shared; figures are indicative)' };
}

/**
 * Writes bench/results/<name>.json, replaces the table between `<!-- <marker> -->` and
 * `<!-- /<marker> -->` in bench/README.md, and prints the figures.
 */
export function report(name: string, marker: string, results: Record<string, unknown>): void {
  writeFileSync(join(root, `bench/results/${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const rows = Object.entries(results).map(([k, v]) => `| ${k} | ${String(v)} |`).join('\n');
  const readme = join(root, 'bench/README.md');
  const table = new RegExp(`(<!-- ${marker} -->\\n)[\\s\\S]*?(<!-- /${marker} -->)`);
  writeFileSync(readme, readFileSync(readme, 'utf8').replace(table, `$1| figure | value |\n| --- | --- |\n${rows}\n$2`));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
