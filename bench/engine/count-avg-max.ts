// The count/avg/max-of-temp aggregates the window scenarios compute, three ways: a Sluice Aggregator over temps,
// the AggregateSet of operators/aggregates adapted to an Aggregator over records, and the hand-rolled state.
import type { Aggregator } from '../../operators/index.js';
import { setAggregator, type ColumnarAggregator } from '../../operators/aggregates/set-aggregator.js';
import {
  compileAggregateSet,
  type AggregateInput,
  type AggregateResult,
  type AggregateSetState,
} from '../../operators/aggregates/index.js';

/** The partial state of the hand-written Aggregator, and the hand-rolled loops' state. */
export interface CountSumMax {
  count: number;
  sum: number;
  max: number;
}

export interface CountAvgMax {
  readonly count: number;
  readonly avg: number;
  readonly max: number;
}

export function emptyCountSumMax(): CountSumMax {
  return { count: 0, sum: 0, max: -Infinity };
}

export function addTemp(p: CountSumMax, temp: number): void {
  p.count++;
  p.sum += temp;
  if (temp > p.max) p.max = temp;
}

/** count/avg/max over temps as a Sluice Aggregator (what a user writes by hand). */
export const countAvgMax: Aggregator<number, CountSumMax, CountAvgMax> = {
  init: emptyCountSumMax,
  add: (p, temp) => {
    addTemp(p, temp);
    return p;
  },
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum, max: Math.max(a.max, b.max) }),
  result: (p) => ({ count: p.count, avg: p.sum / p.count, max: p.max }),
};

/** The same outputs as a pipeline's `aggregate:` block compiles them. */
export const COUNT_AVG_MAX_SPEC = { n: 'count()', temp_avg: 'avg(temp)', temp_max: 'max(temp)' } as const;

/** The set as a window Aggregator over records (processing-time windows pass timestamp 0), as a pipeline's
 * `aggregate:` block compiles it: with its column form, so windows keep partials in typed arrays. */
export function aggregateSetAggregator(): ColumnarAggregator<
  AggregateInput,
  AggregateSetState,
  AggregateResult
> {
  return setAggregator<AggregateInput>(
    compileAggregateSet(COUNT_AVG_MAX_SPEC),
    (record) => record,
    () => 0,
  );
}
