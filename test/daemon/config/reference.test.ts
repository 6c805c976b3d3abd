// The committed config reference must be what the schema renders to: a schema change without regenerating the
// docs fails here.
import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { formattedConfigReference, readmeWithConfigKeys } from '../../../scripts/config-reference.js';

test('docs/config-reference.md matches the config schema (regenerate: node --import tsx scripts/config-reference.ts)', async () => {
  const committed = await readFile(new URL('../../../docs/config-reference.md', import.meta.url), 'utf8');
  expect(committed).toBe(await formattedConfigReference());
});

test('the README carries the same top-level config keys (regenerate: npm run docs:config)', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  expect(readme).toBe(readmeWithConfigKeys(readme, await formattedConfigReference()));
});
