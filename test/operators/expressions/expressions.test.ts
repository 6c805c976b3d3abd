// CEL expressions for `where` and `key`: compile-time errors with positions and hints, and per-record results
// that never throw (missing fields, wrong types and odd values come back as reasons to dead-letter).
import { describe, expect, test } from 'vitest';
import {
  compileFilter,
  compileKey,
  evaluateFilter,
  evaluateKey,
  type CompiledFilter,
  type CompiledKey,
  type RecordScope,
} from '../../../operators/expressions/index.js';

const scope = (fields: Record<string, unknown>, topic = 'sensors/t-17/telemetry'): RecordScope => ({
  fields,
  topic,
  topicParts: topic.split('/'),
  receiver: 'climate',
  ts: 1_700_000_000_123,
});

function filter(source: string): CompiledFilter {
  const compiled = compileFilter(source);
  if (!compiled.ok) throw new Error(`${source}: ${compiled.error.message}`);
  return compiled.value;
}

function key(source: string): CompiledKey {
  const compiled = compileKey(source);
  if (!compiled.ok) throw new Error(`${source}: ${compiled.error.message}`);
  return compiled.value;
}

describe('compiling', () => {
  test.each([
    ['temp > ', /unexpected token/i, /CEL syntax/, 7],
    ['temp = 5', /unexpected character/i, /==/, 5],
    ['temp > 5 and hum < 3', /unexpected character/i, /&&/, 9],
    ['topic > 5', /no such overload: string > int/, /operand types/, 0],
    ['foo(temp)', /no matching overload/, /unknown function/, 0],
    ['record.in > 1', /expected IDENTIFIER/i, /record\["in"\]/, 7],
    ['has(temp)', /has\(\) invalid argument/, /has\(record\.temp\)/, 4],
    ['topic', /a filter must give true or false, this one gives a string/, /topic == "value"/, 0],
    ['', /empty/, /CEL syntax/, undefined],
  ])(
    'rejects the filter %j with a message, a hint and the offset of the culprit',
    (source, message, hint, offset) => {
      const compiled = compileFilter(source);
      expect(compiled.ok).toBe(false);
      if (compiled.ok) return;
      expect(compiled.error.message).toMatch(message);
      expect(compiled.error.hint).toMatch(hint);
      expect(compiled.error.offset).toBe(offset);
    },
  );

  test.each([
    ['topicParts', /a key must be a string or a number, this one gives a list<string>/, /topicParts\[1\]/],
    ['temp > 5', /gives a bool/, /topicParts\[1\]/],
  ])('rejects the key %j', (source, message, hint) => {
    const compiled = compileKey(source);
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.error.message).toMatch(message);
    expect(compiled.error.hint).toMatch(hint);
  });

  test('accepts the declared variables with their types and any record field as dyn', () => {
    expect(filter('temp > -40.0 && temp < 85.0').type).toBe('bool');
    expect(filter('temp').type).toBe('dyn');
    expect(key('topicParts[1]').type).toBe('string');
    expect(key('ts / 1000').type).toBe('int');
    expect(filter('receiver == "climate" && topic.startsWith("sensors/") && ts > 0').type).toBe('bool');
  });
});

describe('evaluating a filter', () => {
  const range = filter('temp > -40.0 && temp < 85.0');

  test('keeps or drops a record by a boolean result', () => {
    expect(evaluateFilter(range, scope({ temp: 21.5 }))).toEqual({ ok: true, keep: true });
    expect(evaluateFilter(range, scope({ temp: 120 }))).toEqual({ ok: true, keep: false });
  });

  test('compares JSON integers (CEL doubles) with int literals', () => {
    expect(evaluateFilter(filter('temp > 40'), scope({ temp: 41 }))).toEqual({ ok: true, keep: true });
  });

  test('reports a missing field as an error naming it, for the caller to dead-letter', () => {
    expect(evaluateFilter(range, scope({ hum: 40 }))).toEqual({
      ok: false,
      reason: 'error',
      message: 'Unknown variable: temp',
    });
  });

  test('lets has(record.field) guard a missing field', () => {
    const guarded = filter('has(record.temp) && temp > 0.0');
    expect(evaluateFilter(guarded, scope({ hum: 40 }))).toEqual({ ok: true, keep: false });
    expect(evaluateFilter(guarded, scope({ temp: 3.5 }))).toEqual({ ok: true, keep: true });
  });

  test('reports a field of the wrong type as an error', () => {
    const result = evaluateFilter(range, scope({ temp: 'hot' }));
    expect(result).toMatchObject({ ok: false, reason: 'error' });
  });

  test('reports a dyn result that is not a bool as not-boolean', () => {
    expect(evaluateFilter(filter('flag'), scope({ flag: 'yes' }))).toEqual({
      ok: false,
      reason: 'not-boolean',
      message: 'the filter gave a string, not a bool',
    });
    expect(evaluateFilter(filter('flag'), scope({ flag: true }))).toEqual({ ok: true, keep: true });
  });

  test('reads fields named like CEL keywords or with dashes through record[...]', () => {
    const odd = filter('record["in"] > 1.0 && record["temp-c"] < 30.0');
    expect(evaluateFilter(odd, scope({ in: 2, 'temp-c': 20 }))).toEqual({ ok: true, keep: true });
  });

  test('never resolves identifiers to Object.prototype members', () => {
    expect(evaluateFilter(filter('constructor == null'), scope({}))).toEqual({
      ok: false,
      reason: 'error',
      message: 'Unknown variable: constructor',
    });
  });

  test('gives declared variables precedence over fields of the same name, which stay reachable as record.name', () => {
    const shadow = filter('ts > 1000000000000 && record.ts < 2000000000');
    expect(evaluateFilter(shadow, scope({ ts: 1_700_000_000 }))).toEqual({ ok: true, keep: true });
  });

  test('passes ts as an int', () => {
    expect(evaluateFilter(filter('ts % 1000 == 123'), scope({}))).toEqual({ ok: true, keep: true });
  });
});

describe('evaluating a key', () => {
  test('gives strings as they are and converts numbers', () => {
    expect(evaluateKey(key('topicParts[1]'), scope({}))).toEqual({ ok: true, key: 't-17' });
    expect(evaluateKey(key('sensor'), scope({ sensor: 17 }))).toEqual({ ok: true, key: '17' });
    expect(evaluateKey(key('sensor'), scope({ sensor: 21.5 }))).toEqual({ ok: true, key: '21.5' });
    expect(evaluateKey(key('ts / 1000'), scope({}))).toEqual({ ok: true, key: '1700000000' });
    expect(evaluateKey(key('uint(5)'), scope({}))).toEqual({ ok: true, key: '5' });
  });

  test('reports an index past the topic levels as an error', () => {
    expect(evaluateKey(key('topicParts[5]'), scope({}, 'a/b'))).toMatchObject({ ok: false, reason: 'error' });
  });

  test('reports a bool, null, list or map as not-scalar', () => {
    for (const value of [true, null, [1], { a: 1 }]) {
      expect(evaluateKey(key('sensor'), scope({ sensor: value }))).toMatchObject({
        ok: false,
        reason: 'not-scalar',
      });
    }
  });

  test('reports an empty key', () => {
    expect(evaluateKey(key('topicParts[1]'), scope({}, 'sensors//telemetry'))).toEqual({
      ok: false,
      reason: 'empty',
      message: 'the key is the empty string',
    });
  });
});
