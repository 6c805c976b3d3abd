// Quantile aggregates (p50, p95, p99, quantile(q)) on DDSketch from @datadog/sketches-js: mergeable sketches
// with a relative-error guarantee, kept per window in a few hundred counters instead of every value.
//
// Accuracy, with relative accuracy α (default 0.01): for n values, the result v for quantile q satisfies
// |v − x| ≤ α·|x| (up to floating-point rounding), where x is the exact order statistic DDSketch targets:
// the value at 0-based position ⌊q·(n − 1)⌋ of the values sorted ascending, q·(n − 1) evaluated in double
// precision (the lower neighbour, never an interpolation: q = 0.75 over [1, 2, 3] targets 2). Values with
// |x| ≤ 2^−1023·γ ≈ 1.1e−308 count as zero, so subnormal values only get an absolute bound of that size.
// Results are clamped to the exact [min, max], which can only bring them closer to x. ("Up to rounding":
// the log/pow mapping was measured to exceed α·|x| by at most ~1e−15 relative; the tests allow 1e−12.)
//
// Memory: one 8-byte counter per bin from the smallest to the largest |x| of each sign, ~115 bins per decade
// at α = 0.01 (a window of 20–25 °C readings needs about 12), so a far outlier widens a sketch; no bin limit
// is applied (the library's collapsing stores would trade low-quantile accuracy for one).
//
// We use the library's mapping, `accept` and `getValueAtQuantile`, but merge and serialise its stores here:
// in 2.1.1 `DDSketch.merge` drops the other sketch's negative values (DataDog/sketches-js#22; temperatures
// go below zero) and `DenseStore.merge` loses the bins of a sketch whose highest key is 0 (values in
// (0.98, 1]) because `_extendRange` tests that key with `||`; `toProto` drops min and max.

import { DDSketch } from '@datadog/sketches-js';
import { decodeNumber, describeValue, encodeNumber, type Aggregate, type Json } from './aggregate.js';

/** A sketch, or null while nothing was added: sketches are created on the first value, not per empty pane. */
export type QuantileState = DDSketch | null;

export interface QuantileOptions {
  /** The relative accuracy α of the sketch, in (0, 1). Default 0.01 (results within 1% of the true value). */
  readonly relativeAccuracy?: number;
}

export const DEFAULT_RELATIVE_ACCURACY = 0.01;

type Store = DDSketch['store'];

/** Returns `relativeAccuracy` (default applied) or throws when it is outside (0, 1). */
export function checkRelativeAccuracy(relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY): number {
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new Error(
      `relativeAccuracy must be a number in (0, 1), e.g. 0.01; got ${String(relativeAccuracy)}`,
    );
  }
  return relativeAccuracy;
}

// Mappings are immutable, so sketches of one accuracy share one (~150 bytes saved per sketch).
const mappings = new Map<number, DDSketch['mapping']>();

// An empty sketch whose stores grow 16 bins at a time instead of 128: a window of readings from one sensor
// usually spans a few dozen bins, and a 128-bin chunk costs 1 KiB per state.
function newSketch(relativeAccuracy: number): DDSketch {
  const s = new DDSketch({ relativeAccuracy });
  const mapping = mappings.get(relativeAccuracy);
  if (mapping === undefined) mappings.set(relativeAccuracy, s.mapping);
  else s.mapping = mapping;
  s.store.chunkSize = 16;
  s.negativeStore.chunkSize = 16;
  return s;
}

/** Adds a finite value, creating the sketch on the first one. */
export function sketchAdd(s: QuantileState, v: number, relativeAccuracy: number): DDSketch {
  const out = s ?? newSketch(relativeAccuracy);
  out.accept(v);
  return out;
}

// Replaces `target`'s bins with the sum of the sources' bins over exactly the keys they cover.
function fillStore(target: Store, a: Store | undefined, b: Store | undefined): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of [a, b]) {
    if (s !== undefined && s.count > 0) {
      lo = Math.min(lo, s.minKey);
      hi = Math.max(hi, s.maxKey);
    }
  }
  if (lo > hi) return;
  const bins = new Array<number>(hi - lo + 1).fill(0);
  let count = 0;
  for (const s of [a, b]) {
    if (s === undefined || s.count === 0) continue;
    for (let key = s.minKey; key <= s.maxKey; key++) {
      const c = s.bins[key - s.offset] ?? 0;
      bins[key - lo] = (bins[key - lo] ?? 0) + c;
      count += c;
    }
  }
  target.bins = bins;
  target.offset = lo;
  target.minKey = lo;
  target.maxKey = hi;
  target.count = count;
}

/** A NEW sketch holding the values of both; mutates neither. */
export function sketchMerge(a: QuantileState, b: QuantileState): QuantileState {
  if (a === null && b === null) return null;
  if (a !== null && b !== null && a.mapping.gamma !== b.mapping.gamma) {
    throw new Error(
      `cannot merge quantile sketches of relative accuracy ${a.mapping.relativeAccuracy} and ${b.mapping.relativeAccuracy}`,
    );
  }
  const relativeAccuracy = (a ?? b)?.mapping.relativeAccuracy;
  const out = newSketch(relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY);
  fillStore(out.store, a?.store, b?.store);
  fillStore(out.negativeStore, a?.negativeStore, b?.negativeStore);
  out.zeroCount = (a?.zeroCount ?? 0) + (b?.zeroCount ?? 0);
  out.count = (a?.count ?? 0) + (b?.count ?? 0);
  out.sum = (a?.sum ?? 0) + (b?.sum ?? 0);
  out.min = Math.min(a?.min ?? Infinity, b?.min ?? Infinity);
  out.max = Math.max(a?.max ?? -Infinity, b?.max ?? -Infinity);
  return out;
}

/** The q-quantile (see the accuracy contract above), or null for an empty sketch. */
export function sketchQuantile(s: QuantileState, q: number): number | null {
  if (s === null || s.count === 0) return null;
  // Ask for the middle of rank ⌊q·(n−1)⌋ rather than for q itself: the library turns q back into a rank in
  // floating point and rounds it one way in the positive store and the other way in the negative one, so a q a
  // few ulps below a rank boundary (0.9999999999999999 of 2 negatives) gave the next order statistic.
  const n = s.count;
  const rank = Math.floor(q * (n - 1));
  const v = s.getValueAtQuantile(n === 1 ? 0 : Math.min(1, (rank + 0.5) / (n - 1)));
  return Math.min(s.max, Math.max(s.min, v));
}

function storeToJSON(s: Store): number[] {
  if (s.count === 0) return [];
  const out = [s.minKey];
  for (let key = s.minKey; key <= s.maxKey; key++) out.push(s.bins[key - s.offset] ?? 0);
  return out;
}

/** `null`, or `{ a: α, zero, min, max, sum, pos: [firstKey, ...counts], neg: [firstKey, ...counts] }`. */
export function sketchToJSON(s: QuantileState): Json {
  if (s === null || s.count === 0) return null;
  return {
    a: s.mapping.relativeAccuracy,
    zero: s.zeroCount,
    min: s.min,
    max: s.max,
    sum: encodeNumber(s.sum),
    pos: storeToJSON(s.store),
    neg: storeToJSON(s.negativeStore),
  };
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

// Fills `target` from `[firstKey, ...counts]`; returns the count, or a reason when `j` is not such an array.
function storeFromJSON(target: Store, j: unknown): number | string {
  if (!Array.isArray(j)) return 'must be an array';
  if (j.length === 0) return 0;
  const [offset, ...counts] = j as unknown[];
  if (!Number.isSafeInteger(offset) || counts.length === 0 || !counts.every(isCount)) {
    return 'must be [] or [firstKey, ...counts] with an integer key and non-negative integer counts';
  }
  const total = counts.reduce((x, y) => x + y, 0);
  if (total === 0) return 'must hold at least one value when not []';
  const lo = offset as number;
  target.bins = counts;
  target.offset = lo;
  target.minKey = lo;
  target.maxKey = lo + counts.length - 1;
  target.count = total;
  return total;
}

/** Inverse of `sketchToJSON`; throws naming `where` when `j` is not a sketch of this relative accuracy. */
export function sketchFromJSON(j: unknown, relativeAccuracy: number, where: string): QuantileState {
  if (j === null) return null;
  const fail = (why: string): never => {
    throw new Error(`${where}: invalid quantile sketch ${describeValue(j)}: ${why}`);
  };
  if (typeof j !== 'object' || Array.isArray(j)) return fail('expected null or an object');
  const o = j as Record<string, unknown>;
  if (o.a !== relativeAccuracy) {
    return fail(`relative accuracy ${String(o.a)} differs from the configured ${relativeAccuracy}`);
  }
  const { zero, min, max } = o;
  const sum = decodeNumber(o.sum);
  if (!isCount(zero)) return fail('zero must be a non-negative integer');
  if (typeof min !== 'number' || typeof max !== 'number' || !(min <= max) || sum === undefined) {
    return fail('min <= max and sum must be numbers');
  }
  const s = newSketch(relativeAccuracy);
  const pos = storeFromJSON(s.store, o.pos);
  const neg = storeFromJSON(s.negativeStore, o.neg);
  if (typeof pos === 'string') return fail(`pos ${pos}`);
  if (typeof neg === 'string') return fail(`neg ${neg}`);
  const count = pos + neg + zero;
  if (count === 0) return fail('an empty sketch is written as null');
  s.zeroCount = zero;
  s.count = count;
  s.min = min;
  s.max = max;
  s.sum = sum;
  return s;
}

/**
 * The q-quantile of the values, 0 ≤ q ≤ 1, with the accuracy stated at the top of this file.
 * Non-finite inputs are skipped. `kind` defaults to `quantile(q)`.
 */
export function quantile(
  q: number,
  options: QuantileOptions = {},
  kind = `quantile(${q})`,
): Aggregate<QuantileState> {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be a number between 0 and 1, got ${String(q)}`);
  const relativeAccuracy = checkRelativeAccuracy(options.relativeAccuracy);
  return {
    kind,
    init: () => null,
    add: (p, v) => (Number.isFinite(v) ? sketchAdd(p, v + 0, relativeAccuracy) : p),
    merge: sketchMerge,
    result: (p) => sketchQuantile(p, q),
    toJSON: sketchToJSON,
    fromJSON: (j) => sketchFromJSON(j, relativeAccuracy, kind),
  };
}
