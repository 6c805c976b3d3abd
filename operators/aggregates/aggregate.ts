// The contract every window aggregate honours: a mergeable partial state that windows build per pane, combine
// across panes, and checkpoint as JSON.

/** A value `JSON.stringify` writes and `JSON.parse` gives back unchanged (no undefined, NaN, Infinity or Map). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * What a sliding window needs from an aggregate: an identity, an associative merge and a JSON form.
 *
 * `merge(a, b)` treats every record in `a` as having arrived before every record in `b`; aggregates whose
 * result depends on arrival order (first and last on equal timestamps) rely on callers passing older panes on
 * the left. It is associative but not necessarily commutative.
 */
export interface Mergeable<P> {
  /** A fresh empty state: the identity of `merge`. */
  init(): P;
  /** A NEW state combining `a` then `b`; mutates neither, so panes can be merged into many windows. */
  merge(a: P, b: P): P;
  /** A JSON form of the state; `fromJSON(JSON.parse(JSON.stringify(toJSON(p))))` behaves exactly like `p`. */
  toJSON(p: P): Json;
  /** The inverse of `toJSON`; throws an Error saying what is wrong when `j` is not a state of this aggregate. */
  fromJSON(j: unknown): P;
}

/**
 * An aggregate over inputs `In` (a number for the single aggregates, a record for an AggregateSet) giving `R`.
 * Results are `null` for an empty state wherever no value makes sense (avg, min, p95, … of nothing);
 * `count` and `sum` of nothing are 0.
 */
export interface Aggregate<P, In = number, R = number | null> extends Mergeable<P> {
  /** What it computes: `'avg'`, `'p95'`, `'quantile(0.9)'`, `'set'`, … */
  readonly kind: string;
  /**
   * Adds one input with its event timestamp (milliseconds) and returns the state to use from now on: it
   * mutates `p` in place (no allocation for numeric aggregates), or returns a replacement, so always use the
   * returned value.
   */
  add(p: P, input: In, ts: number): P;
  result(p: P): R;
}

/** Encodes a number for JSON: finite numbers as they are, the rest as the strings "Infinity", "-Infinity", "NaN". */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** Inverse of `encodeNumber`; `undefined` when `j` is neither. */
export function decodeNumber(j: unknown): number | undefined {
  if (typeof j === 'number') return j;
  if (j === 'Infinity') return Infinity;
  if (j === '-Infinity') return -Infinity;
  if (j === 'NaN') return NaN;
  return undefined;
}

/** A short, bounded rendering of a rejected value for error messages. */
export function describeValue(j: unknown): string {
  let text: string;
  try {
    // undefined for undefined, functions and symbols, whatever the lib typings say
    const json = JSON.stringify(j) as string | undefined;
    text = json ?? String(j);
  } catch {
    text = String(j);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
