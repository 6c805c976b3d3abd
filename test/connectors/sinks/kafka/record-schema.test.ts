// The topic contract in docs/schemas/window-record.schema.json stays true to the records the pipelines emit: its
// required fields are exactly a record's fields, its patterns accept real ids, and its types match. A small
// checker of the keywords the schema uses (no validator dependency); it rejects broken records too.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { windowRecord } from '../../../../daemon/pipelines/window-result.js';

interface Prop {
  type: string | string[];
  pattern?: string;
  additionalProperties?: { type: string[] };
  propertyNames?: { pattern: string };
}
interface RecordSchema {
  required: string[];
  properties: Record<string, Prop>;
  examples: unknown[];
}

const file = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../docs/schemas/window-record.schema.json',
);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function matchesType(value: unknown, type: string | string[]): boolean {
  const t = typeOf(value);
  const types = Array.isArray(type) ? type : [type];
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

/** Problems of `record` against the schema; empty when it conforms. */
function check(schema: RecordSchema, record: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const name of schema.required) if (!(name in record)) problems.push(`missing ${name}`);
  for (const [name, prop] of Object.entries(schema.properties)) {
    const value = record[name];
    if (value === undefined) continue;
    if (!matchesType(value, prop.type)) problems.push(`${name}: not ${String(prop.type)}`);
    if (prop.pattern !== undefined && (typeof value !== 'string' || !new RegExp(prop.pattern).test(value)))
      problems.push(`${name}: does not match ${prop.pattern}`);
    if (prop.additionalProperties !== undefined && typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (!matchesType(v, prop.additionalProperties.type)) problems.push(`${name}.${k}: wrong type`);
        if (prop.propertyNames !== undefined && !new RegExp(prop.propertyNames.pattern).test(k))
          problems.push(`${name}.${k}: bad name`);
      }
    }
  }
  return problems;
}

test('the published record schema describes exactly what a pipeline emits', async () => {
  const schema = JSON.parse(await readFile(file, 'utf8')) as RecordSchema;
  const record = windowRecord(
    'greenhouse-7',
    'climate-1m',
    'sim/t-0042',
    1_764_104_400_000,
    1_764_104_460_000,
    {
      n: 60,
      temp_max: 24.8,
      hum_avg: null,
    },
  );
  expect(Object.keys(record).sort()).toEqual([...schema.required].sort());
  expect(check(schema, { ...record })).toEqual([]);
  for (const example of schema.examples)
    expect(check(schema, example as Record<string, unknown>)).toEqual([]);
  // The checker is not a rubber stamp.
  expect(check(schema, { ...record, windowStart: '1764104400000', values: { 'bad name': 'x' } })).toEqual([
    'windowStart: not integer',
    'values.bad name: wrong type',
    'values.bad name: bad name',
  ]);
  const { id: _id, ...withoutId } = record;
  expect(check(schema, withoutId)).toEqual(['missing id']);
});
