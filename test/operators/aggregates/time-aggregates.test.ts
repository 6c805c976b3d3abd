// first, last, delta and rate: by event timestamp, out-of-order input, ties broken by arrival order.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { aggregates } from '../../../operators/aggregates/index.js';
import { fold, naive, type Reading } from './oracles.js';

const { first, last, delta, rate } = aggregates;
const r = (v: number, ts: number): Reading => ({ v, ts });

describe('first, last, delta and rate', () => {
  test('go by event timestamp, not by arrival, when timestamps come out of order', () => {
    const readings = [r(10, 3_000), r(20, 1_000), r(30, 2_000)];
    expect(first.result(fold(first, readings))).toBe(20);
    expect(last.result(fold(last, readings))).toBe(10);
    expect(delta.result(fold(delta, readings))).toBe(-10);
    expect(rate.result(fold(rate, readings))).toBe(-5);
  });

  test('on a timestamp tie, first keeps the earliest arrival and last the latest', () => {
    const readings = [r(1, 1_000), r(2, 1_000), r(3, 1_000)];
    expect(first.result(fold(first, readings))).toBe(1);
    expect(last.result(fold(last, readings))).toBe(3);
    expect(delta.result(fold(delta, readings))).toBe(2);
  });

  test('merge treats its left state as the earlier arrivals when timestamps tie', () => {
    const a = fold(delta, [r(1, 1_000)]);
    const b = fold(delta, [r(2, 1_000)]);
    expect(first.result(first.merge(fold(first, [r(1, 1_000)]), fold(first, [r(2, 1_000)])))).toBe(1);
    expect(last.result(last.merge(fold(last, [r(1, 1_000)]), fold(last, [r(2, 1_000)])))).toBe(2);
    expect(delta.result(delta.merge(a, b))).toBe(1);
    expect(delta.result(delta.merge(b, a))).toBe(-1);
  });

  test('rate is per second and null when first and last share a timestamp', () => {
    expect(rate.result(fold(rate, [r(0, 0), r(3, 1_500)]))).toBe(2);
    expect(rate.result(fold(rate, [r(4, 2_000)]))).toBeNull();
    expect(rate.result(fold(rate, [r(4, 2_000), r(9, 2_000)]))).toBeNull();
    expect(rate.result(rate.init())).toBeNull();
  });

  test('delta of one value is 0 and of nothing is null', () => {
    expect(delta.result(fold(delta, [r(7, 0)]))).toBe(0);
    expect(delta.result(delta.init())).toBeNull();
  });

  test('skip readings whose timestamp is not finite', () => {
    const readings = [r(5, 1_000), r(99, NaN), r(98, Infinity), r(97, -Infinity), r(6, 2_000)];
    expect(first.result(fold(first, readings))).toBe(5);
    expect(last.result(fold(last, readings))).toBe(6);
  });

  test('merging many consecutive chunks in arrival order equals the oracle, with heavy ties', () => {
    const tied = fc.array(
      fc.record({ v: fc.integer({ min: -50, max: 50 }), ts: fc.integer({ min: 0, max: 3 }) }),
      {
        maxLength: 40,
      },
    );
    fc.assert(
      fc.property(tied, fc.array(fc.nat(), { maxLength: 5 }), (readings, cuts) => {
        const bounds = [
          0,
          ...cuts.map((c) => c % (readings.length + 1)).sort((x, y) => x - y),
          readings.length,
        ];
        for (const agg of [first, last, delta, rate]) {
          const parts = bounds.slice(1).map((end, i) => fold(agg, readings.slice(bounds[i], end)));
          const merged = parts.reduce((x, y) => agg.merge(x, y), agg.init());
          expect(agg.result(merged)).toBe(naive(agg.kind as 'first' | 'last' | 'delta' | 'rate', readings));
        }
      }),
    );
  });
});
