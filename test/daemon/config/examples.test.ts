// Every config in examples/ must validate: they are documentation that runs.
import { readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { loadConfig } from '../../../daemon/config/load.js';

const dir = new URL('../../../examples/', import.meta.url);
const examples = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));

test('examples/ holds configs', () => {
  expect(examples).toContain('climate.yaml');
});

test.each(examples)('examples/%s validates', async (name) => {
  // No environment: an example must not depend on variables being set (give ${NAME:-defaults}).
  await expect(loadConfig(new URL(name, dir).pathname, { env: {} })).resolves.toBeDefined();
});
