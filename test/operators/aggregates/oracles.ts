// Naive reference implementations and generators shared by the aggregate tests.
import fc from 'fast-check';
import type { Aggregate } from '../../../operators/aggregates/index.js';
import type { NumericFn } from '../../../operators/aggregates/index.js';

export interface Reading {
  readonly v: number;
  readonly ts: number;
}

/** Sensor-like values: finite, signed, with zeros and repeats, now and then NaN or ±Infinity. */
export const valueArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 10, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 5, arbitrary: fc.integer({ min: -40, max: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
);

/** Readings in arrival order; timestamps out of order and often tied. */
export const readingsArb: fc.Arbitrary<Reading[]> = fc.array(
  fc.record({ v: valueArb, ts: fc.integer({ min: 0, max: 20 }).map((s) => s * 500) }),
  { maxLength: 60 },
);

export function fold<P>(agg: Aggregate<P>, readings: readonly Reading[], from: P = agg.init()): P {
  return readings.reduce((p, r) => agg.add(p, r.v, r.ts), from);
}

/** The readings an aggregate uses: finite values, −0 read as 0. */
export function usable(readings: readonly Reading[]): Reading[] {
  return readings.filter((r) => Number.isFinite(r.v)).map((r) => ({ v: r.v + 0, ts: r.ts }));
}

// first by timestamp keeping the earliest arrival on ties; last keeping the latest arrival.
function firstReading(rs: readonly Reading[]): Reading | undefined {
  let best: Reading | undefined;
  for (const r of rs) if (best === undefined || r.ts < best.ts) best = r;
  return best;
}
function lastReading(rs: readonly Reading[]): Reading | undefined {
  let best: Reading | undefined;
  for (const r of rs) if (best === undefined || r.ts >= best.ts) best = r;
  return best;
}

/** What `fn` over `readings` must give, computed the obvious way (two-pass for stddev). */
export function naive(fn: NumericFn, readings: readonly Reading[]): number | null {
  const rs = usable(readings);
  const xs = rs.map((r) => r.v);
  const n = xs.length;
  const total = xs.reduce((a, b) => a + b, 0);
  const f = firstReading(rs);
  const l = lastReading(rs);
  switch (fn) {
    case 'count':
      return n;
    case 'sum':
      return total;
    case 'avg':
      return n === 0 ? null : total / n;
    case 'min':
      return n === 0 ? null : Math.min(...xs);
    case 'max':
      return n === 0 ? null : Math.max(...xs);
    case 'stddev': {
      if (n < 2) return null;
      const mean = total / n;
      return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    }
    case 'first':
      return f?.v ?? null;
    case 'last':
      return l?.v ?? null;
    case 'delta':
      return f === undefined || l === undefined ? null : l.v - f.v;
    case 'rate':
      return f === undefined || l === undefined || f.ts === l.ts
        ? null
        : (l.v - f.v) / ((l.ts - f.ts) / 1000);
  }
}

/** How far a correct floating-point result may be from the naive one, for these readings. */
export function tolerance(fn: NumericFn, readings: readonly Reading[]): number {
  const xs = usable(readings).map((r) => Math.abs(r.v));
  const big = Math.max(1, ...xs);
  if (fn === 'sum') return 1e-12 * xs.reduce((a, b) => a + b, 0);
  if (fn === 'avg' || fn === 'stddev') return 1e-9 * big;
  return 0;
}

/** Both null, or numbers within `tol` (exactly equal, −0 apart from 0, when tol is 0). */
export function near(actual: number | null, expected: number | null, tol: number): boolean {
  if (actual === null || expected === null) return actual === expected;
  return tol === 0 ? Object.is(actual, expected) : Math.abs(actual - expected) <= tol;
}

/** The order statistic DDSketch targets: 0-based position ⌊q·(n − 1)⌋ of the sorted values. */
export function exactQuantile(values: readonly number[], q: number): number | null {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  return xs.length === 0 ? null : (xs[Math.floor(q * (xs.length - 1))] ?? null);
}

/**
 * The documented quantile bound for relative accuracy 0.01: |v − x| ≤ 0.01·|x| up to a few ulps, except that
 * values within 2^−1023·γ of zero (subnormals) count as zero.
 */
export function withinSketchBound(v: number | null, x: number | null): boolean {
  if (v === null || x === null) return v === x;
  if (Math.abs(x) < 1.2e-308) return Math.abs(v) < 1.2e-308;
  return Math.abs(v - x) <= 0.01 * Math.abs(x) * (1 + 1e-12);
}

/** JSON.parse(JSON.stringify(x)): what a checkpoint gives back. */
export function viaJSON(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x)) as unknown;
}
