// AggregateSet: named outputs over records, skipping unusable field values, merging, and JSON checkpoints.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compileAggregateSet,
  toFiniteNumber,
  type AggregateSet,
  type AggregateSetState,
} from '../../../operators/aggregates/index.js';
import {
  exactQuantile,
  naive,
  near,
  tolerance,
  viaJSON,
  withinSketchBound,
  type Reading,
} from './oracles.js';

interface Row {
  readonly record: Readonly<Record<string, unknown>>;
  readonly ts: number;
}

const fold = (
  set: AggregateSet,
  rows: readonly Row[],
  from: AggregateSetState = set.init(),
): AggregateSetState => rows.reduce((s, r) => set.add(s, r.record, r.ts), from);

// What a sensor puts in a field: numbers, numeric strings, and junk.
const fieldArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e4, max: 1e4, noNaN: true }).filter((x) => Math.abs(x) > 1e-3) },
  { weight: 3, arbitrary: fc.integer({ min: -40, max: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 5e-324, -5e-324) },
  { weight: 2, arbitrary: fc.integer({ min: -4000, max: 6000 }).map((c) => (c / 100).toString()) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, '', 'n/a', true, NaN, Infinity, '0x10', '1e999') },
);
const rowsArb: fc.Arbitrary<Row[]> = fc.array(
  fc.record({
    record: fc.record({ temp: fieldArb, hum: fieldArb }, { requiredKeys: [] }),
    ts: fc.integer({ min: 0, max: 30 }).map((s) => s * 250),
  }),
  { maxLength: 60 },
);

const everything = compileAggregateSet({
  n: 'count()',
  n_temp: 'count(temp)',
  temp_sum: 'sum(temp)',
  temp_avg: { fn: 'avg', field: 'temp' },
  temp_min: 'min(temp)',
  temp_max: 'max(temp)',
  temp_sd: 'stddev(temp)',
  temp_first: 'first(temp)',
  temp_last: 'last(temp)',
  temp_delta: 'delta(temp)',
  temp_rate: 'rate(temp)',
  hum_avg: 'avg(hum)',
  temp_p50: 'p50(temp)',
  temp_p95: 'p95(temp)',
  temp_p99: 'p99(temp)',
  temp_q90: 'quantile(temp, 0.9)',
  hum_p95: 'p95(hum)',
});

const readingsOf = (rows: readonly Row[], field: string): Reading[] =>
  rows.map((r) => ({ v: toFiniteNumber(r.record[field]), ts: r.ts }));

function expectMatchesOracle(result: Record<string, number | null>, rows: readonly Row[]): void {
  const temp = readingsOf(rows, 'temp');
  const numeric = [
    ['n_temp', 'count'],
    ['temp_sum', 'sum'],
    ['temp_avg', 'avg'],
    ['temp_min', 'min'],
    ['temp_max', 'max'],
    ['temp_sd', 'stddev'],
    ['temp_first', 'first'],
    ['temp_last', 'last'],
    ['temp_delta', 'delta'],
    ['temp_rate', 'rate'],
  ] as const;
  expect(result.n).toBe(rows.length);
  for (const [name, fn] of numeric) {
    const want = naive(fn, temp);
    expect(near(result[name] ?? null, want, tolerance(fn, temp)), `${name}: ${result[name]} vs ${want}`).toBe(
      true,
    );
  }
  const hum = readingsOf(rows, 'hum');
  expect(near(result.hum_avg ?? null, naive('avg', hum), tolerance('avg', hum))).toBe(true);
  const temps = temp.map((r) => r.v);
  for (const [name, q] of [
    ['temp_p50', 0.5],
    ['temp_p95', 0.95],
    ['temp_p99', 0.99],
    ['temp_q90', 0.9],
  ] as const) {
    const x = exactQuantile(temps, q);
    expect(withinSketchBound(result[name] ?? null, x), `${name}: ${result[name]} vs ${x}`).toBe(true);
  }
}

describe('AggregateSet', () => {
  test('computes every output by name, in spec order', () => {
    const set = compileAggregateSet({ n: 'count()', temp_avg: 'avg(temp)', temp_p95: 'p95(temp)' });
    const s = fold(set, [
      { record: { temp: 20 }, ts: 0 },
      { record: { temp: '22.5' }, ts: 1_000 },
      { record: { temp: 'broken' }, ts: 2_000 },
    ]);
    const result = set.result(s);
    expect(Object.keys(result)).toEqual(['n', 'temp_avg', 'temp_p95']);
    expect(result.n).toBe(3);
    expect(result.temp_avg).toBe(21.25);
    expect(Math.abs((result.temp_p95 ?? NaN) - 20)).toBeLessThanOrEqual(0.2);
    expect(set.names).toEqual(['n', 'temp_avg', 'temp_p95']);
    expect(set.specs.temp_p95).toEqual({ fn: 'p95', field: 'temp' });
  });

  test('count() counts every record while the others skip values that are not finite numbers', () => {
    const set = compileAggregateSet({
      n: 'count()',
      n_temp: 'count(temp)',
      avg: 'avg(temp)',
      max: 'max(temp)',
    });
    const junk = [
      undefined,
      null,
      '',
      '  ',
      'n/a',
      '0x10',
      'Infinity',
      '1e999',
      true,
      NaN,
      -Infinity,
      {},
      [3],
    ];
    const s = fold(set, [...junk.map((temp) => ({ record: { temp }, ts: 0 })), { record: {}, ts: 0 }]);
    expect(set.result(s)).toEqual({ n: junk.length + 1, n_temp: 0, avg: null, max: null });
    const t = fold(
      set,
      [' 21.5 ', '-3e1', '+4.', '.5', 7].map((temp) => ({ record: { temp }, ts: 0 })),
    );
    expect(set.result(t)).toEqual({ n: 5, n_temp: 5, avg: (21.5 - 30 + 4 + 0.5 + 7) / 5, max: 21.5 });
  });

  test('reads decimal numeric strings and nothing else as numbers', () => {
    expect([' 21.5 ', '-3e1', '+4.', '.5', '0', '-0'].map(toFiniteNumber)).toEqual([21.5, -30, 4, 0.5, 0, 0]);
    expect(Object.is(toFiniteNumber(-0), 0)).toBe(true);
    for (const junk of [
      '',
      ' ',
      '.',
      'e5',
      '1,5',
      '0x10',
      '0b1',
      'Infinity',
      '1e999',
      '12abc',
      null,
      true,
      5n,
    ]) {
      expect(toFiniteNumber(junk), String(junk)).toBeNaN();
    }
  });

  test('matches the oracles on random records with junk values', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        expectMatchesOracle(everything.result(fold(everything, rows)), rows);
      }),
    );
  });

  test('merging the states of a random split equals aggregating the whole, inputs untouched', () => {
    fc.assert(
      fc.property(rowsArb, fc.nat(), (rows, cut) => {
        const at = cut % (rows.length + 1);
        const a = fold(everything, rows.slice(0, at));
        const b = fold(everything, rows.slice(at));
        const before = JSON.stringify([everything.toJSON(a), everything.toJSON(b)]);
        const merged = everything.merge(a, b);
        expect(JSON.stringify([everything.toJSON(a), everything.toJSON(b)])).toBe(before);
        expectMatchesOracle(everything.result(merged), rows);
        const whole = everything.result(fold(everything, rows));
        for (const name of [
          'n',
          'n_temp',
          'temp_min',
          'temp_max',
          'temp_first',
          'temp_last',
          'temp_p95',
          'hum_p95',
        ]) {
          expect(everything.result(merged)[name]).toBe(whole[name]);
        }
      }),
    );
  });

  test('a state restored from JSON gives identical results and JSON, now and after more records', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (rows, more) => {
        const state = fold(everything, rows);
        const json = everything.toJSON(state);
        const restored = everything.fromJSON(viaJSON(json));
        expect(everything.toJSON(restored)).toEqual(json);
        expect(everything.result(restored)).toEqual(everything.result(state));
        expect(everything.result(fold(everything, more, restored))).toEqual(
          everything.result(fold(everything, more, state)),
        );
      }),
    );
  });

  test('an empty state round-trips through JSON with zero counts and null elsewhere', () => {
    const empty = everything.fromJSON(viaJSON(everything.toJSON(everything.init())));
    const result = everything.result(empty);
    expect(result.n).toBe(0);
    expect(result.temp_sum).toBe(0);
    expect(Object.entries(result).filter(([, v]) => v !== null && v !== 0)).toEqual([]);
    expect(result.temp_avg).toBeNull();
    expect(result.temp_p95).toBeNull();
  });

  test('quantiles of one field share one sketch, created only once the field has a value', () => {
    const set = compileAggregateSet({
      a: 'p50(temp)',
      b: 'p95(temp)',
      c: 'quantile(temp, 0.9)',
      d: 'avg(hum)',
    });
    const s = set.add(set.init(), { hum: 1 }, 0);
    expect(set.toJSON(s)).toEqual({ v: 1, values: { 'avg(hum)': [1, 1] }, sketches: { temp: null } });
    set.add(s, { temp: 5 }, 0);
    expect(Object.keys((set.toJSON(s) as { sketches: object }).sketches)).toEqual(['temp']);
  });

  test('keys its JSON by what is computed, so renamed and added outputs keep or start their state', () => {
    const before = compileAggregateSet({ n: 'count()', temp_avg: 'avg(temp)', old: 'max(temp)' });
    const after = compileAggregateSet({
      records: 'count()',
      t_avg: 'avg(temp)',
      t_min: 'min(temp)',
      t_p95: 'p95(temp)',
    });
    const s = fold(before, [
      { record: { temp: 4 }, ts: 0 },
      { record: { temp: 8 }, ts: 0 },
    ]);
    const restored = after.fromJSON(viaJSON(before.toJSON(s)));
    expect(after.result(restored)).toEqual({ records: 2, t_avg: 6, t_min: null, t_p95: null });
  });

  test('names may be any string, __proto__ included', () => {
    const set = compileAggregateSet({ ['__proto__']: 'count()', 'temp °C': 'max("temp °C")' });
    const result = set.result(set.add(set.init(), { 'temp °C': 3 }, 0));
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(Object.entries(result)).toEqual([
      ['__proto__', 1],
      ['temp °C', 3],
    ]);
  });

  test('rejects garbage JSON, naming the part that is wrong', () => {
    const set = compileAggregateSet({ n: 'count()', temp_p95: 'p95(temp)' });
    for (const garbage of [
      null,
      'x',
      [],
      { v: 2, values: {}, sketches: {} },
      { v: 1, values: [], sketches: {} },
    ]) {
      expect(() => set.fromJSON(garbage)).toThrow(
        'aggregate set state: expected { v: 1, values: {...}, sketches: {...} }, got ',
      );
    }
    expect(() => set.fromJSON({ v: 1, values: { 'count()': [-2] }, sketches: {} })).toThrow(
      'aggregate set state for count(): invalid count state [-2]: count must be a non-negative integer',
    );
    expect(() => set.fromJSON({ v: 1, values: {}, sketches: { temp: 'x' } })).toThrow(
      'aggregate set state for the quantiles of temp: invalid quantile sketch "x": expected null or an object',
    );
  });

  test('refuses an invalid spec, naming the output and the fix', () => {
    expect(() => compileAggregateSet({})).toThrow('an aggregate set needs at least one output');
    expect(() => compileAggregateSet({ t: 'mean(temp)' })).toThrow(
      'aggregate "t": unknown aggregate function "mean" in "mean(temp)" (did you mean avg?)',
    );
    expect(() => compileAggregateSet({ n: 'count()' }, { relativeAccuracy: 0 })).toThrow(
      'relativeAccuracy must be a number in (0, 1), e.g. 0.01; got 0',
    );
  });
});
