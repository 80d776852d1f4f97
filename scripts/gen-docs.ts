import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helpText } from '../src/cli/spec.js';
import { STATIC_TOOLS } from '../src/mcp/tools/index.js';

/** The README's reference sections, generated from the tool and CLI definitions. */
export function generatedSections(): Record<string, string> {
  const tools = [
    '| tool | toolset | read-only | what it does |',
    '| --- | --- | --- | --- |',
    '| `<provider>_<workflow>` / `…_v<version>` | workflows | no | Runs that workflow (latest version / that version); returns the run envelope. |',
    ...STATIC_TOOLS.map((t) => `| \`${t.name}\` | ${t.toolset} | ${t.annotations.readOnlyHint ? 'yes' : 'no'} | ${t.description.replace(/\|/g, '\\|')} |`),
  ].join('\n');
  const cli = ['```text', helpText('<version>').trimEnd(), '```'].join('\n');
  return { tools, cli };
}

export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, body] of Object.entries(generatedSections())) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- generated:${name} --> section`);
    out = out.replace(re, `$1${body}\n$2`);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = join(dirname(fileURLToPath(import.meta.url)), '../../README.md');
  writeFileSync(file, renderReadme(readFileSync(file, 'utf8')));
  process.stdout.write('README.md reference sections updated\n');
}
