// Per-batch operations on pair streams ([key, value] tuples): by-key reductions, cogroup and the joins.
// Joins only see the two streams' batches of the same time, as in Spark.
import { perBatch } from './basic-functions.js';
import type { DStream } from './dstream.js';
import { groupByKey, KeyMap, reduceByKey } from './keys.js';

type PairStream<K, V> = DStream<readonly [K, V]>;

export function mapValues<K, V, W>(parent: PairStream<K, V>, f: (value: V) => W): DStream<[K, W]> {
  return perBatch(parent, 'mapValues', (items) => items.map(([k, v]): [K, W] => [k, f(v)]));
}

export function flatMapValues<K, V, W>(
  parent: PairStream<K, V>,
  f: (value: V) => Iterable<W>,
): DStream<[K, W]> {
  return perBatch(parent, 'flatMapValues', (items) => {
    const out: [K, W][] = [];
    for (const [k, v] of items) for (const w of f(v)) out.push([k, w]);
    return out;
  });
}

export function reduceByKeyStream<K, V>(parent: PairStream<K, V>, f: (a: V, b: V) => V): DStream<[K, V]> {
  return perBatch(parent, 'reduceByKey', (items) => reduceByKey(items, f).toPairs());
}

export function groupByKeyStream<K, V>(parent: PairStream<K, V>): DStream<[K, V[]]> {
  return perBatch(parent, 'groupByKey', (items) => groupByKey(items).toPairs());
}

export function combineByKey<K, V, C>(
  parent: PairStream<K, V>,
  create: (value: V) => C,
  mergeValue: (combiner: C, value: V) => C,
  // One partition per batch, so combiners never need merging within a batch; kept for Spark's signature.
  _mergeCombiners: (a: C, b: C) => C,
): DStream<[K, C]> {
  return perBatch(parent, 'combineByKey', (items) => {
    const out = new KeyMap<K, C>();
    for (const [k, v] of items) {
      out.set(k, out.has(k) ? mergeValue(out.get(k) as C, v) : create(v));
    }
    return out.toPairs();
  });
}

/** Groups two batches by key: [key, [values of a, values of b]] for every key in either. */
export function cogroupItems<K, V, W>(
  a: readonly (readonly [K, V])[],
  b: readonly (readonly [K, W])[],
): KeyMap<K, [V[], W[]]> {
  const out = new KeyMap<K, [V[], W[]]>();
  for (const [k, v] of a) out.getOrCreate(k, () => [[], []])[0].push(v);
  for (const [k, w] of b) out.getOrCreate(k, () => [[], []])[1].push(w);
  return out;
}

function joinWith<K, V, W, R>(
  kind: string,
  left: PairStream<K, V>,
  right: PairStream<K, W>,
  emit: (k: K, vs: V[], ws: W[], out: [K, R][]) => void,
): DStream<[K, R]> {
  return left.ctx.transform(
    [left as DStream<unknown>, right as DStream<unknown>],
    ([a, b]) => {
      const out: [K, R][] = [];
      const groups = cogroupItems(a as readonly (readonly [K, V])[], b as readonly (readonly [K, W])[]);
      for (const [k, [vs, ws]] of groups.entries()) emit(k, vs, ws, out);
      return out;
    },
    kind,
  );
}

export function cogroup<K, V, W>(left: PairStream<K, V>, right: PairStream<K, W>): DStream<[K, [V[], W[]]]> {
  return joinWith<K, V, W, [V[], W[]]>('cogroup', left, right, (k, vs, ws, out) => {
    out.push([k, [vs, ws]]);
  });
}

export function join<K, V, W>(left: PairStream<K, V>, right: PairStream<K, W>): DStream<[K, [V, W]]> {
  return joinWith<K, V, W, [V, W]>('join', left, right, (k, vs, ws, out) => {
    for (const v of vs) for (const w of ws) out.push([k, [v, w]]);
  });
}

export function leftOuterJoin<K, V, W>(
  left: PairStream<K, V>,
  right: PairStream<K, W>,
): DStream<[K, [V, W | null]]> {
  return joinWith<K, V, W, [V, W | null]>('leftOuterJoin', left, right, (k, vs, ws, out) => {
    for (const v of vs) {
      if (ws.length === 0) out.push([k, [v, null]]);
      else for (const w of ws) out.push([k, [v, w]]);
    }
  });
}

export function rightOuterJoin<K, V, W>(
  left: PairStream<K, V>,
  right: PairStream<K, W>,
): DStream<[K, [V | null, W]]> {
  return joinWith<K, V, W, [V | null, W]>('rightOuterJoin', left, right, (k, vs, ws, out) => {
    for (const w of ws) {
      if (vs.length === 0) out.push([k, [null, w]]);
      else for (const v of vs) out.push([k, [v, w]]);
    }
  });
}

export function fullOuterJoin<K, V, W>(
  left: PairStream<K, V>,
  right: PairStream<K, W>,
): DStream<[K, [V | null, W | null]]> {
  return joinWith<K, V, W, [V | null, W | null]>('fullOuterJoin', left, right, (k, vs, ws, out) => {
    if (vs.length === 0) for (const w of ws) out.push([k, [null, w]]);
    else if (ws.length === 0) for (const v of vs) out.push([k, [v, null]]);
    else for (const v of vs) for (const w of ws) out.push([k, [v, w]]);
  });
}
