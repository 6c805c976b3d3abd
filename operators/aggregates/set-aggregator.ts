// An AggregateSet as a window Aggregator over any record type, carrying the set's column form (when it has one)
// so aggregateByKeyAndWindow can keep every key's partials side by side in typed arrays.
import type { Aggregator } from '../aggregator.js';
import type {
  AggregateInput,
  ColumnMerge,
  AggregateResult,
  AggregateSet,
  AggregateSetState,
  NumericColumns,
} from './aggregate-set.js';

/** An aggregate over items `T` whose partial is `width` numbers; see NumericColumns for the contract. */
export interface AggregatorColumns<T, R> {
  readonly width: number;
  readonly empty: readonly number[];
  readonly add: (cells: Float64Array, o: number, item: T) => void;
  readonly merge: ColumnMerge;
  readonly result: (cells: Float64Array, o: number) => R;
  /** Optional: how a sliding window may fold the open pane's records into objects (init, add), written into
   * the pane's cells when it closes (store) and read back from cells after a restore (load). */
  readonly objects?:
    | {
        readonly init: () => unknown;
        readonly add: (p: unknown, item: T) => unknown;
        readonly store: (p: unknown, cells: Float64Array, o: number) => void;
        readonly load: (cells: Float64Array, o: number) => unknown;
      }
    | undefined;
  /** Copies the partial at `from`[of] to `to`[ot]; optional (default: the `width` numbers). */
  readonly copy?: ((from: Float64Array, of: number, to: Float64Array, ot: number) => void) | undefined;
  /** result of merge(a at oa, b at ob), without writing the merge anywhere; optional. */
  readonly mergedResult?: ((a: Float64Array, oa: number, b: Float64Array, ob: number) => R) | undefined;
  /** A partial's JSON form for checkpoints; default: its `width` numbers. With fromJSON. */
  readonly toJSON?: ((cells: Float64Array, o: number) => unknown) | undefined;
  /** Writes the partial `toJSON` gave at `o`; throws on JSON that is not one. */
  readonly fromJSON?: ((json: unknown, cells: Float64Array, o: number) => void) | undefined;
}

/** An Aggregator that may also offer its column form. It must compute exactly what the Aggregator computes:
 * windows use whichever they prefer. */
export type ColumnarAggregator<T, P, R> = Aggregator<T, P, R> & {
  readonly columns?: AggregatorColumns<T, R> | undefined;
};

/**
 * The set folding items `T`: `input` gives an item's fields, `ts` its event time in milliseconds (processing-time
 * windows may pass a constant). The result has `columns` when the set has (no quantile outputs).
 */
export function setAggregator<T>(
  set: AggregateSet,
  input: (item: T) => AggregateInput,
  ts: (item: T) => number,
): ColumnarAggregator<T, AggregateSetState, AggregateResult> {
  const c: NumericColumns<AggregateInput, AggregateResult> | undefined = set.columns;
  return {
    init: () => set.init(),
    add: (p, item) => set.add(p, input(item), ts(item)),
    merge: (a, b) => set.merge(a, b),
    result: (p) => set.result(p),
    toJSON: (p) => set.toJSON(p),
    fromJSON: (j) => set.fromJSON(j),
    columns:
      c === undefined
        ? undefined
        : {
            width: c.width,
            empty: c.empty,
            add: (cells, o, item) => {
              c.add(cells, o, input(item), ts(item));
            },
            merge: c.merge,
            result: c.result,
          },
  };
}
