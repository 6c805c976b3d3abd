// Fusion of a map into the keyed operator reading it: when a keyed window's parent is a map (mapToPair, keyBy)
// that nothing else reads, the window applies the map function to the map's source records itself, one record
// at a time, so no batch of [key, value] tuples is built and kept for the map's remember duration: each tuple
// dies as soon as it is folded in. Outputs are the same; the map function runs once per record, as before.
import type { DStream } from './dstream.js';

/** The records of one batch, and the function still to apply to each (undefined: they are the records). */
export interface FusedBatch<T> {
  readonly items: readonly unknown[];
  readonly f: ((item: unknown) => T) | undefined;
}

/**
 * A reader of `parent`'s batches for the operator `reader` (one of its children). When `parent` is a map that
 * only `reader` reads, and its batch has not been built already, the reader gets the map's source batch and
 * the map function. Decided on the first read, after the context has started and the graph is final.
 */
export function fusedReader<T>(parent: DStream<T>): (timeMs: number) => FusedBatch<T> | null {
  let fuse: boolean | undefined;
  return (t) => {
    const mapping = parent.mapping;
    fuse ??= mapping !== undefined && parent.ctx.readers(parent) === 1;
    if (fuse && mapping !== undefined && !parent.hasGenerated(t) && parent.isTimeValid(t)) {
      const items = mapping.source.getOrCompute(t);
      return items === null ? null : { items, f: mapping.f };
    }
    const items = parent.getOrCompute(t);
    return items === null ? null : { items, f: undefined };
  };
}

/** Folds every [key, value] pair of a batch, applying the fused map function first when there is one. */
export function foldPairs<K, V>(batch: FusedBatch<readonly [K, V]>, fold: (key: K, value: V) => void): void {
  const { items, f } = batch;
  if (f === undefined) {
    for (const kv of items as readonly (readonly [K, V])[]) fold(kv[0], kv[1]);
    return;
  }
  for (const item of items) {
    const kv = f(item);
    fold(kv[0], kv[1]);
  }
}
