// p50, p95, p99 and quantile(q) on DDSketch: within the documented bound of the exact order statistic,
// merges that equal whole-window sketches, negatives and zeros included.
import { DDSketch } from '@datadog/sketches-js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  aggregates,
  quantile,
  type Aggregate,
  type QuantileState,
} from '../../../operators/aggregates/index.js';
import { exactQuantile, viaJSON } from './oracles.js';

const ALPHA = 0.01;
// Floating-point rounding in the log/pow mapping may exceed α·|x| by a few ulps, never more.
const ROUNDING = 1e-12;

// Temperatures, voltages, counters: negative, zero and fractional, with many repeats.
const sensorArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map((c) => c / 100) },
  {
    weight: 4,
    arbitrary: fc.double({ min: -1e4, max: 1e4, noNaN: true }).filter((x) => Math.abs(x) >= 1e-3),
  },
  { weight: 4, arbitrary: fc.integer({ min: -40, max: 60 }) },
  { weight: 2, arbitrary: fc.constant(0) },
);
// Now and then a value from the far ends of the double range (not subnormal: those count as zero).
const extremeArb = fc.double({ min: 1e-300, max: 1e300, noNaN: true }).map((x) => (x > 1 ? -x : x));
const valuesArb = fc.array(sensorArb, { minLength: 1, maxLength: 300 });
const wideValuesArb = fc.array(
  fc.oneof({ weight: 12, arbitrary: sensorArb }, { weight: 1, arbitrary: extremeArb }),
  {
    minLength: 1,
    maxLength: 300,
  },
);
const qArb = fc.oneof(fc.constantFrom(0, 0.5, 0.95, 0.99, 1), fc.double({ min: 0, max: 1, noNaN: true }));

const fill = (agg: Aggregate<QuantileState>, xs: readonly number[], from = agg.init()): QuantileState =>
  xs.reduce((s, x) => agg.add(s, x, 0), from);

function withinBound(got: number | null, xs: readonly number[], q: number): boolean {
  const x = exactQuantile(xs, q);
  return got !== null && x !== null && Math.abs(got - x) <= ALPHA * Math.abs(x) * (1 + ROUNDING);
}

describe('quantiles', () => {
  test('targets rank floor(q·(n−1)) as computed in floating point, even a few ulps below a rank boundary', () => {
    // q·(n−1) = 0.9999999999999999 for two values: rank 0, the lower one, on either side of zero.
    for (const xs of [
      [-0.001, -1.0000000000000002],
      [0.001, 1.0000000000000002],
    ]) {
      const agg = quantile(0.9999999999999999);
      expect(withinBound(agg.result(fill(agg, xs)), xs, 0.9999999999999999)).toBe(true);
    }
  });

  test('target the lower order statistic at position floor(q·(n−1)), without interpolation', () => {
    const s = fill(aggregates.p50, [3, 1, 2]);
    const q75 = quantile(0.75);
    expect(Math.abs((q75.result(s) ?? NaN) - 2)).toBeLessThanOrEqual(0.02);
    expect(
      Math.abs((aggregates.p50.result(fill(aggregates.p50, [10, 20, 30, 40])) ?? NaN) - 20),
    ).toBeLessThanOrEqual(0.2);
  });

  test('p50, p95, p99 and any q are within 1% of the exact order statistic, negatives and zeros included', () => {
    fc.assert(
      fc.property(wideValuesArb, qArb, (xs, q) => {
        for (const agg of [aggregates.p50, aggregates.p95, aggregates.p99]) {
          const got = agg.result(fill(agg, xs));
          const target = { p50: 0.5, p95: 0.95, p99: 0.99 }[agg.kind as 'p50'];
          expect(withinBound(got, xs, target), `${agg.kind}: ${got} vs ${exactQuantile(xs, target)}`).toBe(
            true,
          );
        }
        const any = quantile(q);
        expect(withinBound(any.result(fill(any, xs)), xs, q)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('merging the sketches of a random split gives exactly the whole-window result, inputs untouched', () => {
    fc.assert(
      fc.property(valuesArb, fc.nat(), qArb, (xs, cut, q) => {
        const agg = quantile(q);
        const at = cut % (xs.length + 1);
        const a = fill(agg, xs.slice(0, at));
        const b = fill(agg, xs.slice(at));
        const before = JSON.stringify([agg.toJSON(a), agg.toJSON(b)]);
        const merged = agg.merge(a, b);
        expect(JSON.stringify([agg.toJSON(a), agg.toJSON(b)])).toBe(before);
        expect(agg.result(merged)).toBe(agg.result(fill(agg, xs)));
        expect(withinBound(agg.result(merged), xs, q)).toBe(true);
      }),
    );
  });

  test('a merged or restored sketch keeps accepting values exactly like one built in a single pass', () => {
    // Same bins, zero count, min and max; only the float `sum` the library keeps may differ by rounding.
    const bins = (agg: Aggregate<QuantileState>, s: QuantileState): unknown => {
      const { sum: _sum, ...rest } = (agg.toJSON(s) ?? {}) as Record<string, unknown>;
      return rest;
    };
    fc.assert(
      fc.property(valuesArb, valuesArb, valuesArb, qArb, (xs, ys, zs, q) => {
        const agg = quantile(q);
        const whole = fill(agg, [...xs, ...ys, ...zs]);
        const merged = fill(agg, zs, agg.merge(fill(agg, xs), fill(agg, ys)));
        const restored = fill(agg, zs, agg.fromJSON(viaJSON(agg.toJSON(fill(agg, [...xs, ...ys])))));
        expect(bins(agg, merged)).toEqual(bins(agg, whole));
        expect(bins(agg, restored)).toEqual(bins(agg, whole));
        expect(agg.result(merged)).toBe(agg.result(whole));
        expect(agg.result(restored)).toBe(agg.result(whole));
      }),
    );
  });

  test('merge keeps negative values (DDSketch.merge in sketches-js 2.1.1 drops them)', () => {
    const agg = aggregates.p50;
    const merged = agg.merge(fill(agg, [-5, -4, -3]), fill(agg, [-2, -1, 10]));
    expect(Math.abs((agg.result(merged) ?? NaN) - -3)).toBeLessThanOrEqual(0.03);
    expect(Math.abs((quantile(0.2).result(merged) ?? NaN) - -4)).toBeLessThanOrEqual(0.04);
  });

  test('merge keeps the bins of a sketch whose highest value is in (0.98, 1] (key 0)', () => {
    const gamma = new DDSketch().mapping.gamma;
    const low = Array.from({ length: 127 }, (_, i) => gamma ** (i - 127) / Math.sqrt(gamma));
    const agg = quantile(0.9);
    const merged = agg.merge(fill(agg, low), fill(agg, [...low, 1]));
    for (const q of [0.5, 0.9, 0.99]) {
      const qa = quantile(q);
      expect(withinBound(qa.result(merged), [...low, ...low, 1], q)).toBe(true);
    }
  });

  test('an empty state is null, has null results and merges as the identity', () => {
    const agg = aggregates.p95;
    expect(agg.toJSON(agg.init())).toBeNull();
    expect(agg.result(agg.fromJSON(null))).toBeNull();
    const one = fill(agg, [12]);
    expect(agg.result(agg.merge(agg.init(), one))).toBe(12);
    expect(agg.result(agg.merge(one, agg.init()))).toBe(12);
  });

  test('counts subnormal values as zero, the one documented exception to the relative bound', () => {
    const tiny = 5e-324;
    expect(aggregates.p50.result(fill(aggregates.p50, [tiny, tiny, 1]))).toBe(tiny);
    expect(aggregates.p50.result(fill(aggregates.p50, [tiny, tiny, tiny, 1, -1]))).toBe(0);
  });

  test('skips non-finite values', () => {
    expect(aggregates.p99.result(fill(aggregates.p99, [NaN, Infinity, -Infinity]))).toBeNull();
    expect(aggregates.p50.result(fill(aggregates.p50, [NaN, 4, Infinity]))).toBe(4);
  });

  test('honours a configured relative accuracy and refuses sketches of another one', () => {
    const coarse = quantile(0.5, { relativeAccuracy: 0.05 });
    const s = fill(coarse, [100]);
    expect(() => aggregates.p50.fromJSON(viaJSON(coarse.toJSON(s)))).toThrow(
      'relative accuracy 0.05 differs from the configured 0.01',
    );
    expect(() => aggregates.p50.merge(fill(aggregates.p50, [1]), s)).toThrow(
      'cannot merge quantile sketches of relative accuracy 0.01 and 0.05',
    );
    expect(() => quantile(0.5, { relativeAccuracy: 1 })).toThrow(
      'relativeAccuracy must be a number in (0, 1)',
    );
    expect(() => quantile(1.5)).toThrow('quantile must be a number between 0 and 1, got 1.5');
  });

  test('rejects garbage JSON with an error naming the aggregate and the problem', () => {
    const agg = aggregates.p95;
    const good = agg.toJSON(fill(agg, [-1, 0, 2])) as Record<string, unknown>;
    const cases: [unknown, string][] = [
      ['x', 'expected null or an object'],
      [[1], 'expected null or an object'],
      [{ ...good, zero: -1 }, 'zero must be a non-negative integer'],
      [{ ...good, min: 3 }, 'min <= max and sum must be numbers'],
      [{ ...good, sum: 'lots' }, 'min <= max and sum must be numbers'],
      [{ ...good, pos: 'x' }, 'pos must be an array'],
      [{ ...good, pos: [0.5, 1] }, 'pos must be [] or [firstKey, ...counts]'],
      [{ ...good, neg: [3, -1] }, 'neg must be [] or [firstKey, ...counts]'],
      [{ ...good, neg: [3, 0, 0] }, 'neg must hold at least one value'],
      [{ ...good, pos: [], neg: [], zero: 0 }, 'an empty sketch is written as null'],
    ];
    for (const [garbage, why] of cases) {
      expect(() => agg.fromJSON(garbage)).toThrow(/^p95: invalid quantile sketch /);
      expect(() => agg.fromJSON(garbage)).toThrow(why);
    }
  });
});
