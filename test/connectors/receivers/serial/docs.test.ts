// The serial docs' config examples validate against the receiver's schema, so docs/serial.md cannot drift from
// what `sluice validate` accepts.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { expect, test } from 'vitest';
import { serialReceiverConfigSchema } from '../../../../connectors/receivers/serial/config.js';

const docs = readFileSync(new URL('../../../../docs/serial.md', import.meta.url), 'utf8');
const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

test('docs/serial.md has config examples', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(6);
});

test.each(blocks.map((text, i) => [i, text] as const))('example %i validates', (_i, text) => {
  const doc = parse(text) as { receivers: Record<string, unknown> };
  for (const receiver of Object.values(doc.receivers)) {
    const result = serialReceiverConfigSchema.safeParse(receiver);
    expect(result.error?.issues ?? []).toEqual([]);
  }
});
