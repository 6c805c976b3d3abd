// Window aggregates as mergeable, JSON-checkpointable partial states: single aggregates over numbers, named
// sets over records (the `aggregate:` block of a pipeline) and the sliding-window pane FIFO.

export type { Aggregate, Json, Mergeable } from './aggregate.js';
export { aggregates } from './catalog.js';
export { numericAggregate } from './numeric.js';
export { NUMERIC_FNS, type NumericFn } from './kernels.js';
export { DEFAULT_RELATIVE_ACCURACY, quantile, type QuantileOptions, type QuantileState } from './quantile.js';
export {
  AGGREGATE_FNS,
  formatAggregate,
  parseAggregate,
  toAggregateSpec,
  type AggregateFn,
  type AggregateSpec,
  type QuantileFn,
} from './spec.js';
export {
  compileAggregateSet,
  type AggregateInput,
  type AggregateResult,
  type AggregateSet,
  type AggregateSetOptions,
  type AggregateSetState,
  type NumericColumns,
} from './aggregate-set.js';
export { toFiniteNumber } from './field-value.js';
export { setAggregator, type AggregatorColumns, type ColumnarAggregator } from './set-aggregator.js';
export { SlidingAggregator } from './sliding.js';
