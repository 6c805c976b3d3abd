// The text form of aggregates (count(), avg(temp), quantile(temp, 0.9)) and the object form from configs:
// every valid shape, and every error message word for word.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  AGGREGATE_FNS,
  formatAggregate,
  parseAggregate,
  toAggregateSpec,
  type AggregateSpec,
} from '../../../operators/aggregates/index.js';

const VALID =
  'valid functions: count(), count(field), sum(field), avg(field), min(field), max(field), stddev(field), ' +
  'first(field), last(field), delta(field), rate(field), p50(field), p95(field), p99(field), quantile(field, q)';

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return '(no error)';
}

describe('parseAggregate', () => {
  test.each<[string, AggregateSpec]>([
    ['count()', { fn: 'count' }],
    ['count(temp)', { fn: 'count', field: 'temp' }],
    ['avg(temp)', { fn: 'avg', field: 'temp' }],
    ['  p95 ( temp_1 )  ', { fn: 'p95', field: 'temp_1' }],
    ['stddev(_x)', { fn: 'stddev', field: '_x' }],
    ['quantile(temp, 0.9)', { fn: 'quantile', field: 'temp', q: 0.9 }],
    ['quantile(temp,1)', { fn: 'quantile', field: 'temp', q: 1 }],
    ['quantile( "a, b" , 5e-1 )', { fn: 'quantile', field: 'a, b', q: 0.5 }],
    ['max("temp °C")', { fn: 'max', field: 'temp °C' }],
    ['min("say \\"hi\\"")', { fn: 'min', field: 'say "hi"' }],
  ])('reads %s', (text, spec) => {
    expect(parseAggregate(text)).toEqual(spec);
  });

  test('reads back every function it formats, whatever the field name', () => {
    const specArb = fc.oneof(
      fc.constant<AggregateSpec>({ fn: 'count' }),
      fc.record({
        fn: fc.constantFrom(...AGGREGATE_FNS.filter((f) => f !== 'quantile')),
        field: fc.string({ minLength: 1 }),
      }),
      fc.record({
        fn: fc.constant('quantile' as const),
        field: fc.string({ minLength: 1 }),
        q: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    );
    fc.assert(
      fc.property(specArb, (spec) => {
        expect(parseAggregate(formatAggregate(spec))).toEqual(spec);
      }),
    );
  });

  test.each([
    [
      '',
      `cannot parse aggregate "": expected fn(field), e.g. avg(temp), count() or quantile(temp, 0.9); ${VALID}`,
    ],
    [
      'avg',
      `cannot parse aggregate "avg": expected fn(field), e.g. avg(temp), count() or quantile(temp, 0.9); ${VALID}`,
    ],
    [
      'avg(temp',
      `cannot parse aggregate "avg(temp": expected fn(field), e.g. avg(temp), count() or quantile(temp, 0.9); ${VALID}`,
    ],
    [
      'avg("temp)',
      `cannot parse aggregate "avg("temp)": expected fn(field), e.g. avg(temp), count() or quantile(temp, 0.9); ${VALID}`,
    ],
    ['median(temp)', `unknown aggregate function "median" in "median(temp)" (did you mean p50?); ${VALID}`],
    ['AVG(temp)', `unknown aggregate function "AVG" in "AVG(temp)" (did you mean avg?); ${VALID}`],
    ['foo(temp)', `unknown aggregate function "foo" in "foo(temp)"; ${VALID}`],
    ['avg()', 'avg needs a field in "avg()", e.g. avg(temp)'],
    ['avg(temp, hum)', 'avg takes one field in "avg(temp, hum)", e.g. avg(temp)'],
    ['count(a, b)', 'count takes at most one field in "count(a, b)", e.g. count() or count(temp)'],
    [
      'avg(1temp)',
      'invalid field "1temp" in aggregate "avg(1temp)": write a name like temp, or a quoted name like "temp 1"',
    ],
    [
      'avg(temp))',
      'invalid field "temp)" in aggregate "avg(temp))": write a name like temp, or a quoted name like "temp 1"',
    ],
    [
      'avg("")',
      'invalid field "\\"\\"" in aggregate "avg("")": write a name like temp, or a quoted name like "temp 1"',
    ],
    ['quantile(temp)', 'quantile takes a field and a quantile in "quantile(temp)", e.g. quantile(temp, 0.9)'],
    [
      'quantile(, 0.5)',
      'quantile takes a field and a quantile in "quantile(, 0.5)", e.g. quantile(temp, 0.9)',
    ],
    [
      'quantile(temp, 1.5)',
      'quantile in "quantile(temp, 1.5)" must be a number between 0 and 1, e.g. 0.9; got "1.5"',
    ],
    [
      'quantile(temp, high)',
      'quantile in "quantile(temp, high)" must be a number between 0 and 1, e.g. 0.9; got "high"',
    ],
  ])('rejects %j, saying what to write', (text, message) => {
    expect(messageOf(() => parseAggregate(text))).toBe(message);
  });
});

describe('toAggregateSpec', () => {
  test('accepts the text form and the object form', () => {
    expect(toAggregateSpec('t', 'p99(temp)')).toEqual({ fn: 'p99', field: 'temp' });
    expect(toAggregateSpec('n', { fn: 'count' })).toEqual({ fn: 'count' });
    expect(toAggregateSpec('q', { fn: 'quantile', field: 'temp', q: 0.25 })).toEqual({
      fn: 'quantile',
      field: 'temp',
      q: 0.25,
    });
  });

  test.each<[unknown, string]>([
    [
      42,
      `aggregate "x": expected a text like avg(temp) or an object like { fn: 'avg', field: 'temp' }, got 42`,
    ],
    [
      null,
      `aggregate "x": expected a text like avg(temp) or an object like { fn: 'avg', field: 'temp' }, got null`,
    ],
    ['avg()', 'aggregate "x": avg needs a field in "avg()", e.g. avg(temp)'],
    [
      { fn: 'avg', fild: 'temp' },
      'aggregate "x": unknown key "fild"; an aggregate has fn, field and (for quantile) q',
    ],
    [{ fn: 'mean', field: 'temp' }, `aggregate "x": unknown function "mean"; ${VALID}`],
    [{ field: 'temp' }, `aggregate "x": unknown function undefined; ${VALID}`],
    [{ fn: 'avg' }, "aggregate \"x\": avg needs a field, e.g. { fn: 'avg', field: 'temp' }"],
    [{ fn: 'avg', field: '' }, 'aggregate "x": field must be a non-empty string, got ""'],
    [{ fn: 'count', field: 3 }, 'aggregate "x": field must be a non-empty string, got 3'],
    [{ fn: 'p95', field: 'temp', q: 0.9 }, 'aggregate "x": q is only for quantile, not p95'],
    [
      { fn: 'quantile', field: 'temp' },
      "aggregate \"x\": quantile needs q between 0 and 1, e.g. { fn: 'quantile', field: 'temp', q: 0.9 }",
    ],
    [
      { fn: 'quantile', field: 'temp', q: '0.9' },
      "aggregate \"x\": quantile needs q between 0 and 1, e.g. { fn: 'quantile', field: 'temp', q: 0.9 }",
    ],
  ])('rejects %j, naming the output', (spec, message) => {
    expect(messageOf(() => toAggregateSpec('x', spec))).toBe(message);
  });
});
