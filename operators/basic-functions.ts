// Per-batch transformations (map, filter, reduce, count, ...): each batch maps to one batch; no batch stays none.
import type { Batch, DStream } from './dstream.js';
import { KeyMap } from './keys.js';

/** A stream whose batch at t is f(parent's batch at t); a missing parent batch gives a missing batch. */
export function perBatch<T, U>(
  parent: DStream<T>,
  kind: string,
  f: (items: readonly T[], timeMs: number) => readonly U[],
): DStream<U> {
  return parent.derive<U>(kind, (t) => {
    const items = parent.getOrCompute(t);
    return items === null ? null : f(items, t);
  });
}

export function map<T, U>(parent: DStream<T>, f: (item: T) => U, kind = 'map'): DStream<U> {
  const mapped = perBatch(parent, kind, (items) => items.map((x) => f(x)));
  mapped.mapping = { source: parent, f: f as (item: unknown) => U };
  return mapped;
}

export function flatMap<T, U>(parent: DStream<T>, f: (item: T) => Iterable<U>): DStream<U> {
  return perBatch(parent, 'flatMap', (items) => {
    const out: U[] = [];
    for (const x of items) for (const y of f(x)) out.push(y);
    return out;
  });
}

export function filter<T>(parent: DStream<T>, f: (item: T) => boolean): DStream<T> {
  return perBatch(parent, 'filter', (items) => items.filter((x) => f(x)));
}

export function mapPartitions<T, U>(parent: DStream<T>, f: (items: readonly T[]) => Iterable<U>): DStream<U> {
  return perBatch(parent, 'mapPartitions', (items) => Array.from(f(items)));
}

export function glom<T>(parent: DStream<T>): DStream<T[]> {
  return perBatch(parent, 'glom', (items) => [items.slice()]);
}

export function reduce<T>(parent: DStream<T>, f: (a: T, b: T) => T): DStream<T> {
  return perBatch(parent, 'reduce', reduceItems(f));
}

/** Reduces a batch to one element, or to nothing when the batch is empty (Spark's reduce on a DStream). */
export function reduceItems<T>(f: (a: T, b: T) => T): (items: readonly T[]) => T[] {
  return (items) => {
    if (items.length === 0) return [];
    let acc = items[0] as T;
    for (let i = 1; i < items.length; i++) acc = f(acc, items[i] as T);
    return [acc];
  };
}

/** Spark builds count on transform, so a missing parent batch fails the batch instead of giving no output. */
export function count<T>(parent: DStream<T>): DStream<number> {
  return parent.ctx.transform([parent as DStream<unknown>], ([items]) => [items?.length ?? 0], 'count');
}

export function countByValue<T>(parent: DStream<T>): DStream<[T, number]> {
  return perBatch(parent, 'countByValue', countValues);
}

export function countValues<T>(items: readonly T[]): [T, number][] {
  const counts = new KeyMap<T, number>();
  for (const x of items) counts.merge(x, 1, add);
  return counts.toPairs();
}

export function add(a: number, b: number): number {
  return a + b;
}

export function subtract(a: number, b: number): number {
  return a - b;
}

export function slice<T>(stream: DStream<T>, fromMs: number, toMs: number): (readonly T[])[] {
  const zero = stream.ctx.zeroTime();
  const out: (readonly T[])[] = [];
  // As Spark, an unaligned fromMs is floored to the slide (toMs too, by the loop); times ≤ zero are skipped.
  const first = zero + Math.max(1, Math.floor((fromMs - zero) / stream.slideMs)) * stream.slideMs;
  for (let t = first; t <= toMs; t += stream.slideMs) {
    const batch: Batch<T> = stream.getOrCompute(t);
    if (batch !== null) out.push(batch);
  }
  return out;
}
