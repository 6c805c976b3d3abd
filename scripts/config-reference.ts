// Writes docs/config-reference.md from the config schema (run: node --import tsx scripts/config-reference.ts).
// With --check, writes nothing and exits 1 when the committed file is stale (for CI).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { renderConfigReference } from '../daemon/config/reference.js';

const target = fileURLToPath(new URL('../docs/config-reference.md', import.meta.url));

/** The reference as committed: rendered, then formatted with the repository's prettier settings. */
export async function formattedConfigReference(): Promise<string> {
  const options = (await resolveConfig(target)) ?? {};
  return format(renderConfigReference(), { ...options, parser: 'markdown' });
}

async function main(): Promise<void> {
  const text = await formattedConfigReference();
  if (process.argv.includes('--check')) {
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current !== text) {
      process.stderr.write(
        'docs/config-reference.md is stale: run node --import tsx scripts/config-reference.ts\n',
      );
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(target, text);
  process.stdout.write(`wrote ${target}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
