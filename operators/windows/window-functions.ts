// Sliding windows over any stream (Spark's WindowedDStream) and the window reductions built on them.
// Output k comes at zero + k·slide and holds the parent's batches in (t − window, t]: partial at the start,
// and still firing while the window drains after the input stops.
import { add, map, reduceItems, subtract } from '../basic-functions.js';
import type { DStream, OperatorState } from '../dstream.js';
import { ParentBuffer } from './parent-buffer.js';
import { checkWindow } from './window-checks.js';
import { reduceByKeyAndWindowInv } from './keyed-window-functions.js';

export function window<T>(parent: DStream<T>, windowMs: number, slideMs: number): DStream<T> {
  checkWindow(parent, 'window', windowMs, slideMs);
  const buffer = new ParentBuffer(parent, windowMs);
  const state: OperatorState = {
    signature: `window(${windowMs},${slideMs})`,
    advance: (t) => {
      buffer.advance(t);
    },
    snapshot: () => buffer.snapshot(),
    restore: (s) => {
      buffer.restore(s);
    },
  };
  return parent.derive<T>(
    'window',
    (t) => {
      buffer.advance(t);
      return buffer.range(t - windowMs, t).flat();
    },
    { slideMs, state },
  );
}

/** reduce per batch, window, reduce again: an empty window gives an empty batch. */
export function reduceByWindow<T>(
  parent: DStream<T>,
  f: (a: T, b: T) => T,
  windowMs: number,
  slideMs: number,
): DStream<T> {
  const reduceAll = reduceItems(f);
  const perBatch = parent.reduce(f);
  return window(perBatch, windowMs, slideMs).mapPartitions(reduceAll);
}

/** Incremental window reduce through a single key (Spark: map to (1, x), reduceByKeyAndWindow, values). */
export function reduceByWindowInv<T>(
  parent: DStream<T>,
  f: (a: T, b: T) => T,
  invF: (a: T, b: T) => T,
  windowMs: number,
  slideMs: number,
): DStream<T> {
  const keyed = map(parent, (x): [number, T] => [1, x]);
  return map(reduceByKeyAndWindowInv(keyed, f, invF, windowMs, slideMs), ([, v]) => v);
}

/** Records in the window: [n] once data has arrived ([0] after it drains), [] before the first record. */
export function countByWindow<T>(parent: DStream<T>, windowMs: number, slideMs: number): DStream<number> {
  return reduceByWindowInv(
    map(parent, () => 1),
    add,
    subtract,
    windowMs,
    slideMs,
  );
}

/** [value, count] for every value in the window; values whose count falls to 0 leave. */
export function countByValueAndWindow<T>(
  parent: DStream<T>,
  windowMs: number,
  slideMs: number,
): DStream<[T, number]> {
  const ones = map(parent, (x): [T, number] => [x, 1]);
  return reduceByKeyAndWindowInv(ones, add, subtract, windowMs, slideMs, ([, n]) => n !== 0);
}
