// Processing-time windowed aggregation by key with mergeable partials: a partial per key per pane (the gcd of
// window and slide), combined by a two-stacks FIFO per key, so a slide costs O(1) merges per key whatever
// window/slide is. Same outputs as Spark's reduceByKeyAndWindow without an inverse: output k at zero + k·slide
// holds the keys with data in (t − window, t]; a key leaves when the window has no data for it.
import { partialFromJSON, partialToJSON, type Aggregator } from '../aggregator.js';
import { SlidingAggregator } from '../aggregates/sliding.js';
import type { Mergeable } from '../aggregates/aggregate.js';
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeyMap } from '../keys.js';
import { checkWindow, gcd } from './window-checks.js';
import type { ColumnarAggregator } from '../aggregates/set-aggregator.js';
import { columnarAggregateByKeyAndWindow } from './columnar-window.js';

interface KeyWindow<P> {
  /** Pane end times, oldest first, from index head on. */
  times: number[];
  head: number;
  panes: SlidingAggregator<P>;
}

interface Snapshot {
  observedMs: number | null;
  pane: [unknown, unknown][];
  keys: [unknown, number[], unknown][];
}

export function aggregateByKeyAndWindow<K, V, P, R>(
  parent: DStream<readonly [K, V]>,
  agg: Aggregator<V, P, R>,
  windowMs: number,
  slideMs: number,
): DStream<[K, R]> {
  checkWindow(parent, 'aggregateByKeyAndWindow', windowMs, slideMs);
  const tumbling = windowMs === slideMs;
  const paneMs = gcd(windowMs, slideMs);
  // An aggregator offering a column form (an AggregateSet without quantiles) gets the typed-array path.
  const columns = (agg as ColumnarAggregator<V, P, R>).columns;
  if (columns !== undefined) {
    return columnarAggregateByKeyAndWindow(parent, columns, windowMs, slideMs, paneMs);
  }
  const mergeable: Mergeable<P> = {
    init: () => agg.init(),
    merge: (a, b) => agg.merge(a, b),
    toJSON: (p) => partialToJSON(agg, p) as ReturnType<Mergeable<P>['toJSON']>,
    fromJSON: (j) => partialFromJSON(agg, j),
  };
  let pane = new KeyMap<K, P>();
  const keys = new KeyMap<K, KeyWindow<P>>();
  let observedMs = Number.NEGATIVE_INFINITY;
  const zero = (): number => parent.ctx.zeroTime();

  const closePane = (t: number): void => {
    pane.forEach((p, k) => {
      let w = keys.get(k);
      if (w === undefined) {
        w = { times: [], head: 0, panes: new SlidingAggregator(mergeable) };
        keys.set(k, w);
      }
      w.times.push(t);
      w.panes.push(p);
    });
    pane = new KeyMap<K, P>();
  };
  const init = (): P => agg.init();
  const add = (p: P, v: V): P => agg.add(p, v);

  const advance = (t: number): void => {
    if (t <= observedMs) return;
    observedMs = t;
    for (const [k, v] of parent.getOrCompute(t) ?? []) pane.fold(k, v, init, add);
    if (!tumbling && (t - zero()) % paneMs === 0) closePane(t);
  };

  const compute = (t: number): [K, R][] => {
    advance(t);
    const out: [K, R][] = [];
    if (tumbling) {
      pane.forEach((p, k) => out.push([k, agg.result(p)]));
      pane = new KeyMap<K, P>();
      return out;
    }
    const horizon = t - windowMs;
    for (const [k, w] of keys.entries()) {
      while (w.head < w.times.length && (w.times[w.head] as number) <= horizon) {
        w.panes.evict();
        w.head++;
      }
      if (w.head === w.times.length) {
        keys.delete(k);
        continue;
      }
      if (w.head > 16 && w.head * 2 > w.times.length) {
        w.times = w.times.slice(w.head);
        w.head = 0;
      }
      out.push([k, agg.result(w.panes.query())]);
    }
    return out;
  };

  const state: OperatorState = {
    signature: `aggregateByKeyAndWindow(${windowMs},${slideMs})`,
    advance,
    snapshot: (): Snapshot => ({
      observedMs: Number.isFinite(observedMs) ? observedMs : null,
      pane: pane.toPairs().map(([k, p]) => [k, partialToJSON(agg, p)]),
      keys: [...keys.entries()].map(([k, w]) => [k, w.times.slice(w.head), w.panes.toJSON()]),
    }),
    restore: (s) => {
      const snap = s as Partial<Snapshot> | null;
      if (
        snap === null ||
        typeof snap !== 'object' ||
        !Array.isArray(snap.pane) ||
        !Array.isArray(snap.keys)
      ) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'aggregateByKeyAndWindow snapshot is malformed');
      }
      observedMs = snap.observedMs ?? Number.NEGATIVE_INFINITY;
      pane = KeyMap.fromPairs(snap.pane.map(([k, p]): [K, P] => [k as K, partialFromJSON(agg, p)]));
      keys.clear();
      for (const [k, times, panes] of snap.keys) {
        keys.set(k as K, { times, head: 0, panes: SlidingAggregator.fromJSON(mergeable, panes) });
      }
    },
  };
  return parent.derive<[K, R]>('aggregateByKeyAndWindow', compute, { slideMs, state });
}
