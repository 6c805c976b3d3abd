// Writes docs/config-reference.md from the config schema, and its top-level table into the README between two
// markers (run: npm run docs:config). With --check, writes nothing and exits 1 when either is stale (for CI).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { renderConfigReference } from '../daemon/config/reference.js';

const target = fileURLToPath(new URL('../docs/config-reference.md', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- config keys: generated from the schema by npm run docs:config -->';
const END = '<!-- end of generated config keys -->';

/** The README with the reference's top-level table between the markers. */
export function readmeWithConfigKeys(readmeText: string, reference: string): string {
  const from = reference.indexOf('## Top level');
  const to = reference.indexOf('\n## ', from + 1);
  const i = readmeText.indexOf(START);
  const j = readmeText.indexOf(END);
  if (from < 0 || to < 0 || i < 0 || j < i) throw new Error('README.md or the reference lacks its markers');
  const table = reference
    .slice(from, to)
    .replace(/^## Top level\s*/, '')
    .trim();
  return `${readmeText.slice(0, i + START.length)}\n\n${table}\n\n${readmeText.slice(j)}`;
}

/** The reference as committed: rendered, then formatted with the repository's prettier settings. */
export async function formattedConfigReference(): Promise<string> {
  const options = (await resolveConfig(target)) ?? {};
  return format(renderConfigReference(), { ...options, parser: 'markdown' });
}

async function main(): Promise<void> {
  const text = await formattedConfigReference();
  const readmeText = await readFile(readme, 'utf8');
  const readmeNext = readmeWithConfigKeys(readmeText, text);
  if (process.argv.includes('--check')) {
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current !== text || readmeText !== readmeNext) {
      process.stderr.write('docs/config-reference.md or README.md is stale: run npm run docs:config\n');
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(target, text);
  await writeFile(readme, readmeNext);
  process.stdout.write(`wrote ${target} and the config keys in ${readme}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
