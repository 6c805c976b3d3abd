// Windowed by-key reductions (Spark's reduceByKeyAndWindow with and without an inverse function, and
// groupByKeyAndWindow). The inverse form is incremental: each slide adds the new batches and subtracts the old.
import { groupByKey, KeyMap, reduceByKey } from '../keys.js';
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { ParentBuffer } from './parent-buffer.js';
import { aggregateByKeyAndWindow } from './aggregate-by-key-and-window.js';
import { reducing } from '../aggregator.js';
import { checkWindow } from './window-checks.js';
import { window } from './window-functions.js';

type PairStream<K, V> = DStream<readonly [K, V]>;

/** Spark's reduceByKey per batch, window, reduceByKey again (f must be associative): a key leaves as soon as
 * the window has no data for it. Computed with per-pane partials, so a slide costs O(1) reductions per key. */
export function reduceByKeyAndWindow<K, V>(
  parent: PairStream<K, V>,
  f: (a: V, b: V) => V,
  windowMs: number,
  slideMs: number,
): DStream<[K, V]> {
  return aggregateByKeyAndWindow(parent, reducing(f), windowMs, slideMs).mapValues((v) => v as V);
}

/** Every key's values in the window, oldest batch first. */
export function groupByKeyAndWindow<K, V>(
  parent: PairStream<K, V>,
  windowMs: number,
  slideMs: number,
): DStream<[K, V[]]> {
  checkWindow(parent, 'groupByKeyAndWindow', windowMs, slideMs);
  return window(parent, windowMs, slideMs).mapPartitions((items) => groupByKey(items).toPairs());
}

interface InvSnapshot {
  buffer: unknown;
  previousMs: number | null;
  previous: [unknown, unknown][];
}

/**
 * Incremental windowed reduce (Spark's ReducedWindowedDStream). At output time t, per key:
 * previous window's value (at t − slide), minus (invF) what left the window, plus (f) what entered.
 * Keys stay with their "zero" value unless filterF drops them. Needs slide ≤ window.
 */
export function reduceByKeyAndWindowInv<K, V>(
  parent: PairStream<K, V>,
  f: (a: V, b: V) => V,
  invF: (a: V, b: V) => V,
  windowMs: number,
  slideMs: number,
  filterF?: (pair: readonly [K, V]) => boolean,
): DStream<[K, V]> {
  checkWindow(parent, 'reduceByKeyAndWindow', windowMs, slideMs);
  const reduced = parent.reduceByKey(f);
  const buffer = new ParentBuffer(reduced, windowMs + slideMs);
  let previous = new KeyMap<K, V>();
  let previousMs = Number.NEGATIVE_INFINITY;
  const reduceRange = (from: number, to: number): KeyMap<K, V> =>
    reduceByKey(buffer.range(from, to).flat(), f);

  const compute = (t: number): [K, V][] => {
    buffer.advance(t);
    const prev = previousMs === t - slideMs ? previous : new KeyMap<K, V>();
    const oldValues = reduceRange(t - slideMs - windowMs, t - windowMs);
    const newValues = reduceRange(t - slideMs, t);
    const keys = new KeyMap<K, true>();
    for (const source of [prev, oldValues, newValues]) for (const k of source.keys()) keys.set(k, true);
    const kept = new KeyMap<K, V>();
    const out: [K, V][] = [];
    for (const k of keys.keys()) {
      let v: V;
      if (!prev.has(k)) {
        if (!newValues.has(k)) {
          throw new EngineError(
            'SLUICE_ENGINE_STATE',
            `reduceByKeyAndWindow: neither the previous window has a value for key ${JSON.stringify(k)}, nor new values were found`,
            'with an inverse function the slide must not exceed the window length',
          );
        }
        v = newValues.get(k) as V;
      } else {
        v = prev.get(k) as V;
        if (oldValues.has(k)) v = invF(v, oldValues.get(k) as V);
        if (newValues.has(k)) v = f(v, newValues.get(k) as V);
      }
      if (filterF !== undefined && !filterF([k, v])) continue;
      kept.set(k, v);
      out.push([k, v]);
    }
    previous = kept;
    previousMs = t;
    return out;
  };

  const state: OperatorState = {
    signature: `reduceByKeyAndWindowInv(${windowMs},${slideMs})`,
    advance: (t) => {
      buffer.advance(t);
    },
    snapshot: (): InvSnapshot => ({
      buffer: buffer.snapshot(),
      previousMs: Number.isFinite(previousMs) ? previousMs : null,
      previous: previous.toPairs(),
    }),
    restore: (s) => {
      const snap = s as Partial<InvSnapshot> | null;
      if (snap === null || typeof snap !== 'object' || !Array.isArray(snap.previous)) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'reduceByKeyAndWindow snapshot is malformed');
      }
      buffer.restore(snap.buffer);
      previous = KeyMap.fromPairs(snap.previous as [K, V][]);
      previousMs = snap.previousMs ?? Number.NEGATIVE_INFINITY;
    },
  };
  return reduced.derive<[K, V]>('reduceByKeyAndWindow', compute, { slideMs, state });
}
