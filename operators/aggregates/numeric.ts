// The numeric aggregates (count, sum, avg, min, max, stddev, first, last, delta, rate) as standalone
// `Aggregate<number[]>`s over plain numbers, and the JSON form of kernel slots that AggregateSet shares.

import { decodeNumber, describeValue, encodeNumber, type Aggregate, type Json } from './aggregate.js';
import { KERNELS, type Kernel, type NumericFn } from './kernels.js';

/**
 * A copy of `values` whose elements V8 stores as unboxed doubles, so that states cloned from it (`slice`) keep
 * 8 bytes per slot and never change representation when a fraction is first stored.
 */
export function packedDoubles(values: readonly number[]): number[] {
  const out = [0.5];
  out.length = 0;
  for (const v of values) out.push(v);
  return out.slice();
}

/** The kernel's slots at `o` as JSON: an array of numbers, with non-finite ones as strings (see encodeNumber). */
export function kernelToJSON(k: Kernel, s: readonly number[], o: number): Json {
  const out: (number | string)[] = [];
  for (let i = 0; i < k.width; i++) out.push(encodeNumber(s[o + i] ?? NaN));
  return out;
}

/** Decodes `kernelToJSON` output into `out` at `o`; throws naming `where` when `j` is not a valid state. */
export function kernelFromJSON(k: Kernel, j: unknown, out: number[], o: number, where: string): void {
  const slots = Array.isArray(j) ? j.map(decodeNumber) : [];
  const numbers = slots.filter((x): x is number => x !== undefined);
  if (numbers.length !== k.width || slots.length !== k.width) {
    throw new Error(
      `${where}: expected a ${k.fn} state, an array of ${k.width} numbers, got ${describeValue(j)}`,
    );
  }
  const why = k.invalid(numbers);
  if (why !== undefined) throw new Error(`${where}: invalid ${k.fn} state ${describeValue(j)}: ${why}`);
  for (let i = 0; i < k.width; i++) out[o + i] = numbers[i] ?? NaN;
}

/**
 * A numeric aggregate over numbers. Non-finite inputs (NaN, ±Infinity) are skipped by every one of them,
 * count included. Timestamps are event times in milliseconds; `rate` is per second.
 */
export function numericAggregate(fn: NumericFn): Aggregate<number[]> {
  const k = KERNELS[fn];
  const empty = packedDoubles(k.empty);
  return {
    kind: fn,
    init: () => empty.slice(),
    add(p, v, ts) {
      // `+ 0` turns −0 into 0, which JSON could not tell apart anyway.
      if (Number.isFinite(v)) k.add(p, 0, v + 0, ts);
      return p;
    },
    merge(a, b) {
      const out = empty.slice();
      k.merge(out, 0, a, 0, b, 0);
      return out;
    },
    result: (p) => k.result(p, 0),
    toJSON: (p) => kernelToJSON(k, p, 0),
    fromJSON(j) {
      const out = empty.slice();
      kernelFromJSON(k, j, out, 0, fn);
      return out;
    },
  };
}
