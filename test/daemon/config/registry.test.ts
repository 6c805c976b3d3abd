// The connector registry drives the config schema: every entry's schema must select it by its `type`.
import { describe, expect, test } from 'vitest';
import { findReceiver, findSink, receivers, sinks } from '../../../connectors/registry.js';
import { configJsonSchema } from '../../../daemon/config/json-schema.js';

describe.each([
  ['receivers', receivers],
  ['sinks', sinks],
] as const)('%s', (section, entries) => {
  test('each entry has a unique type that its config schema requires', () => {
    const types = entries.map((entry) => entry.type);
    expect(new Set(types).size).toBe(types.length);
    for (const entry of entries) {
      const shape = entry.configSchema.shape as Record<
        string,
        { safeParse(v: unknown): { success: boolean } }
      >;
      expect(shape.type?.safeParse(entry.type).success).toBe(true);
      expect(shape.type?.safeParse(`${entry.type}-other`).success).toBe(false);
    }
  });

  test('the JSON Schema offers one alternative per type', () => {
    const root = configJsonSchema() as {
      properties: Record<string, { additionalProperties: { oneOf: unknown[] } }>;
    };
    expect(root.properties[section]?.additionalProperties.oneOf).toHaveLength(entries.length);
  });
});

test('looks connectors up by type', () => {
  expect(findReceiver('mqtt')?.type).toBe('mqtt');
  expect(findSink('file')?.type).toBe('file');
  expect(findReceiver('kafka')?.type).toBe('kafka');
  expect(findSink('mqtt')?.type).toBe('mqtt');
  expect(findReceiver('amqp')).toBeUndefined();
});
