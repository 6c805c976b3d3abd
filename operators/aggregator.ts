// Aggregator: how a window folds its records into a mergeable partial state (as Flink's AggregateFunction).
// Windows keep partials per pane and merge panes, so a sliding window never re-reads its records.
//
// Partials are values, as in a checkpoint: a sliding window keeps a partial that is a plain object of numbers
// ({ count, sum, max }, like init()'s) by its fields in typed arrays, and hands add/merge/result objects
// rebuilt from them (windows/by-value-columns.ts). init() must be the identity of merge: windows may skip a
// merge with an empty partial.

export interface Aggregator<T, P, R> {
  /** A fresh partial state, the identity of merge. */
  init(): P;
  /** Folds one record in; may mutate p and return it. */
  add(p: P, item: T): P;
  /** Combines two partials into a new one; mutates neither. */
  merge(a: P, b: P): P;
  /** The window's value. */
  result(p: P): R;
  /** JSON form of a partial for checkpoints; default: the partial itself (it must then be plain JSON). */
  toJSON?(p: P): unknown;
  /** Inverse of toJSON. */
  fromJSON?(json: unknown): P;
}

/** Collects the records themselves (the default when a window is given no aggregator). */
export function collectList<T>(): Aggregator<T, T[], T[]> {
  return {
    init: () => [],
    add: (p, item) => {
      p.push(item);
      return p;
    },
    merge: (a, b) => a.concat(b),
    result: (p) => p,
  };
}

/** Adapts a reduce function (no identity) into an aggregator whose empty partial is undefined. */
export function reducing<T>(f: (a: T, b: T) => T): Aggregator<T, T | undefined, T | undefined> {
  return {
    init: () => undefined,
    add: (p, item) => (p === undefined ? item : f(p, item)),
    merge: (a, b) => (a === undefined ? b : b === undefined ? a : f(a, b)),
    result: (p) => p,
    // An empty partial must stay distinguishable from a null value after a JSON round trip.
    toJSON: (p) => (p === undefined ? [] : [p]),
    fromJSON: (json) => (Array.isArray(json) && json.length === 1 ? (json[0] as T) : undefined),
  };
}

export function partialToJSON<P>(agg: Aggregator<never, P, unknown>, p: P): unknown {
  return agg.toJSON === undefined ? p : agg.toJSON(p);
}

export function partialFromJSON<P>(agg: Aggregator<never, P, unknown>, json: unknown): P {
  return agg.fromJSON === undefined ? (json as P) : agg.fromJSON(json);
}
