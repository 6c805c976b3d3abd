// count, sum, avg, min, max, stddev (and first/last/delta/rate as plain aggregates) against naive oracles.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { aggregates, NUMERIC_FNS, numericAggregate } from '../../../operators/aggregates/index.js';
import { fold, naive, near, readingsArb, tolerance, viaJSON } from './oracles.js';

describe.each(NUMERIC_FNS)('%s', (fn) => {
  const agg = numericAggregate(fn);

  test('matches the naive oracle, skipping non-finite values', () => {
    fc.assert(
      fc.property(readingsArb, (readings) => {
        const got = agg.result(fold(agg, readings));
        expect(
          near(got, naive(fn, readings), tolerance(fn, readings)),
          `${got} vs ${naive(fn, readings)}`,
        ).toBe(true);
      }),
    );
  });

  test('merging the states of a random split equals aggregating the whole, inputs untouched', () => {
    fc.assert(
      fc.property(readingsArb, fc.nat(), (readings, cut) => {
        const at = cut % (readings.length + 1);
        const a = fold(agg, readings.slice(0, at));
        const b = fold(agg, readings.slice(at));
        const before = JSON.stringify([agg.toJSON(a), agg.toJSON(b)]);
        const merged = agg.merge(a, b);
        expect(merged).not.toBe(a);
        expect(merged).not.toBe(b);
        expect(JSON.stringify([agg.toJSON(a), agg.toJSON(b)])).toBe(before);
        const whole = agg.result(fold(agg, readings));
        expect(near(agg.result(merged), whole, tolerance(fn, readings))).toBe(true);
      }),
    );
  });

  test('a state restored from its JSON gives identical results, now and after more input', () => {
    fc.assert(
      fc.property(readingsArb, readingsArb, (readings, more) => {
        const state = fold(agg, readings);
        const json = agg.toJSON(state);
        const restored = agg.fromJSON(viaJSON(json));
        expect(agg.toJSON(restored)).toEqual(json);
        expect(agg.result(restored)).toBe(agg.result(state));
        expect(agg.result(fold(agg, more, restored))).toBe(agg.result(fold(agg, more, state)));
      }),
    );
  });

  test('the empty state survives JSON and merges as the identity', () => {
    const empty = agg.fromJSON(viaJSON(agg.toJSON(agg.init())));
    expect(agg.result(empty)).toBe(fn === 'count' || fn === 'sum' ? 0 : null);
    const one = agg.add(agg.init(), 5, 1_000);
    expect(agg.result(agg.merge(empty, one))).toBe(agg.result(one));
    expect(agg.result(agg.merge(one, empty))).toBe(agg.result(one));
  });

  test('rejects garbage JSON with an error naming the aggregate', () => {
    for (const garbage of [undefined, null, 'x', {}, [], ['a', 'b', 'c', 'd'], [1, 2, 3, 4, 5]]) {
      expect(() => agg.fromJSON(garbage)).toThrow(new RegExp(`^${fn}: expected a ${fn} state`));
    }
  });
});

describe('numeric aggregates on known inputs', () => {
  test('stddev is the sample standard deviation and is null below two values', () => {
    const s = fold(
      aggregates.stddev,
      [2, 4, 4, 4, 5, 5, 7, 9].map((v) => ({ v, ts: 0 })),
    );
    expect(aggregates.stddev.result(s)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(aggregates.stddev.result(aggregates.stddev.add(aggregates.stddev.init(), 3, 0))).toBeNull();
  });

  test('stddev stays accurate on large values with a small spread (no sum-of-squares cancellation)', () => {
    const readings = [4, 7, 13, 16].map((d) => ({ v: 1e9 + d, ts: 0 }));
    const split = aggregates.stddev.merge(
      fold(aggregates.stddev, readings.slice(0, 2)),
      fold(aggregates.stddev, readings.slice(2)),
    );
    expect(aggregates.stddev.result(fold(aggregates.stddev, readings))).toBeCloseTo(Math.sqrt(30), 6);
    expect(aggregates.stddev.result(split)).toBeCloseTo(Math.sqrt(30), 6);
  });

  test('count and sum of nothing are 0; avg, min, max of nothing are null', () => {
    expect(aggregates.count.result(aggregates.count.init())).toBe(0);
    expect(aggregates.sum.result(aggregates.sum.init())).toBe(0);
    expect(aggregates.avg.result(aggregates.avg.init())).toBeNull();
    expect(aggregates.min.result(aggregates.min.init())).toBeNull();
    expect(aggregates.max.result(aggregates.max.init())).toBeNull();
  });

  test('a sum that overflowed to Infinity still round-trips through JSON', () => {
    const s = fold(aggregates.sum, [
      { v: Number.MAX_VALUE, ts: 0 },
      { v: Number.MAX_VALUE, ts: 0 },
    ]);
    expect(aggregates.sum.result(s)).toBe(Infinity);
    expect(JSON.stringify(aggregates.sum.toJSON(s))).toBe('["Infinity"]');
    expect(aggregates.sum.result(aggregates.sum.fromJSON(viaJSON(aggregates.sum.toJSON(s))))).toBe(Infinity);
  });

  test('rejects JSON states that no input sequence could produce, saying why', () => {
    expect(() => aggregates.count.fromJSON([1.5])).toThrow(
      'count: invalid count state [1.5]: count must be a non-negative integer',
    );
    expect(() => aggregates.avg.fromJSON([0, 3])).toThrow(
      'avg: invalid avg state [0,3]: an empty avg must have sum 0',
    );
    expect(() => aggregates.min.fromJSON(['-Infinity'])).toThrow('min: invalid min state ["-Infinity"]');
    expect(() => aggregates.stddev.fromJSON([2, 1, -1])).toThrow('mean and m2 must be finite, m2 >= 0');
    expect(() => aggregates.first.fromJSON(['Infinity', 4])).toThrow('an empty first/last must have value 0');
    expect(() => aggregates.delta.fromJSON([5, 1, '-Infinity', 0])).toThrow(
      'first and last must be empty together',
    );
    expect(() => aggregates.rate.fromJSON([5, 1, 4, 0])).toThrow(
      'first timestamp must not follow last timestamp',
    );
  });
});
