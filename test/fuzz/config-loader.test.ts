// Property tests of the config loader (issue #7): random text, random YAML documents, config-shaped documents
// with random values, and random edits of the shipped example configs. checkConfigText never throws: it returns
// a config or a list of issues, each with a catalog code, a key path and a message (and loadConfig turns that into
// a SluiceError, never another kind of error).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { checkConfigText } from '../../daemon/config/load.js';
import { errorCatalog } from '../../daemon/errors.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const exampleTexts = readdirSync(examples)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(path.join(examples, f), 'utf8'));

/** Checks the text and asserts the result is well-formed; fails the property on a throw of any kind. */
function wellFormed(text: string): boolean {
  const result = checkConfigText(text, 'fuzz.yaml', { env: { SET: 'x' } });
  if (result.ok) return typeof result.config.gateway.id === 'string';
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(Object.hasOwn(errorCatalog, issue.code), issue.code).toBe(true);
    expect(typeof issue.path).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
  }
  return true;
}

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '1s',
    '-5m',
    '0ms',
    '256MiB',
    '${SET}',
    '${UNSET}',
    '${file:/nonexistent}',
    'count()',
    '[]',
    '{}',
  ),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 3 }),
  ),
})).node;

const kinds = ['mqtt', 'serial', 'simulator', 'file', 'tcp', 'kafka', 'webhook', 'nope'];
const configShaped = fc.record(
  {
    gateway: fc.record({ id: fc.oneof(fc.string({ maxLength: 10 }), value) }, { requiredKeys: [] }),
    batch: fc.record({ interval: fc.oneof(scalar, value) }, { requiredKeys: [] }),
    state: fc.record({ dir: scalar, durability: fc.oneof(fc.constantFrom('fsync', 'process'), scalar) }),
    receivers: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.record(
        { type: fc.constantFrom(...kinds), url: scalar, topics: value, key: scalar, path: scalar },
        { requiredKeys: ['type'] },
      ),
      { maxKeys: 2 },
    ),
    pipelines: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.record(
        {
          from: value,
          window: fc.record(
            { length: scalar, slide: scalar, lateness: scalar, time: scalar },
            { requiredKeys: [] },
          ),
          aggregate: fc.dictionary(
            fc.string({ maxLength: 6 }),
            fc.oneof(scalar, fc.constantFrom('avg(x)', 'p99(', 'max(temp) +')),
          ),
          where: scalar,
          to: value,
        },
        { requiredKeys: [] },
      ),
      { maxKeys: 2 },
    ),
    sinks: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.record(
        { type: fc.constantFrom(...kinds), path: scalar, url: scalar, brokers: value },
        { requiredKeys: ['type'] },
      ),
      { maxKeys: 2 },
    ),
    alerts: value,
    api: value,
  },
  { requiredKeys: [] },
);

/** A random edit of a text: delete, duplicate or replace a span, or insert characters. */
const edit = fc.tuple(
  fc.constantFrom('delete', 'duplicate', 'insert', 'replace'),
  fc.nat(),
  fc.nat({ max: 40 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
function applyEdit(text: string, [kind, at, length, chars]: [string, number, number, string]): string {
  const i = at % (text.length + 1);
  switch (kind) {
    case 'delete':
      return text.slice(0, i) + text.slice(i + length);
    case 'duplicate':
      return text.slice(0, i + length) + text.slice(i, i + length) + text.slice(i + length);
    case 'insert':
      return text.slice(0, i) + chars + text.slice(i);
    default:
      return text.slice(0, i) + chars + text.slice(i + length);
  }
}

describe('the config loader never throws', () => {
  test('on random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), wellFormed), { numRuns: 300 });
  });

  test('on random YAML documents', () => {
    fc.assert(
      fc.property(value, (v) => wellFormed(YAML.stringify(v))),
      { numRuns: 300 },
    );
  });

  test('on config-shaped documents with random values', () => {
    fc.assert(
      fc.property(configShaped, (v) => wellFormed(YAML.stringify(v))),
      { numRuns: 500 },
    );
  });

  test('on random edits of the example configs', () => {
    expect(exampleTexts.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(
        fc.constantFrom(...exampleTexts),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (text, edits) => wellFormed(edits.reduce(applyEdit, text)),
      ),
      { numRuns: 500 },
    );
  });

  test('on alias bombs and deep nesting', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...Array.from({ length: 9 }, (_, i) => {
        const prev = i === 0 ? 'a' : `b${i - 1}`;
        return `b${i}: &b${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
      }),
    ].join('\n');
    expect(wellFormed(bomb)).toBe(true);
    expect(wellFormed(`gateway: ${'['.repeat(5000)}${']'.repeat(5000)}`)).toBe(true);
    expect(wellFormed(`gateway: ${'{a: '.repeat(2000)}1${'}'.repeat(2000)}`)).toBe(true);
  });
});
