// The single-value aggregates by name, for windows over plain numbers (a DStream<number>) rather than records.

import type { Aggregate } from './aggregate.js';
import { numericAggregate } from './numeric.js';
import { quantile, type QuantileOptions, type QuantileState } from './quantile.js';

/**
 * Every aggregate over numbers. Non-finite inputs are skipped (count included); timestamps are event times in
 * milliseconds. `stddev` is the sample standard deviation (n − 1, SQL's stddev), null below two values;
 * `first`/`last` go by timestamp, ties by arrival; `delta` is last − first; `rate` is delta per second, null
 * when first and last share a timestamp. Quantiles are within 1% (see quantile.ts for the exact bound).
 */
export const aggregates = {
  count: numericAggregate('count'),
  sum: numericAggregate('sum'),
  avg: numericAggregate('avg'),
  min: numericAggregate('min'),
  max: numericAggregate('max'),
  stddev: numericAggregate('stddev'),
  first: numericAggregate('first'),
  last: numericAggregate('last'),
  delta: numericAggregate('delta'),
  rate: numericAggregate('rate'),
  p50: quantile(0.5, {}, 'p50'),
  p95: quantile(0.95, {}, 'p95'),
  p99: quantile(0.99, {}, 'p99'),
  /** The q-quantile, 0 ≤ q ≤ 1; options.relativeAccuracy defaults to 0.01. */
  quantile: (q: number, options?: QuantileOptions): Aggregate<QuantileState> => quantile(q, options),
} as const;
