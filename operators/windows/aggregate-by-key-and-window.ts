// Processing-time windowed aggregation by key with mergeable partials: a partial per key per pane (the gcd of
// window and slide), combined by a two-stacks FIFO per key, so a slide costs O(1) merges per key whatever
// window/slide is. Same outputs as Spark's reduceByKeyAndWindow without an inverse: output k at zero + k·slide
// holds the keys with data in (t − window, t]; a key leaves when the window has no data for it.
import { partialFromJSON, partialToJSON, type Aggregator } from '../aggregator.js';
import { SlidingAggregator } from '../aggregates/sliding.js';
import type { Mergeable } from '../aggregates/aggregate.js';
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeySlots } from '../keys.js';
import { foldPairs, fusedReader } from '../fusion.js';
import { checkWindow, gcd } from './window-checks.js';
import type { ColumnarAggregator } from '../aggregates/set-aggregator.js';
import { columnarAggregateByKeyAndWindow } from './columnar-window.js';
import { byValueColumns } from './by-value-columns.js';

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
  // A sliding window over plain-object partials of numbers keeps them by value in the same typed arrays; a
  // tumbling one folds each key into one object per window, which is already as cheap as it gets.
  const byValue = tumbling ? undefined : byValueColumns(agg);
  if (byValue !== undefined) {
    return columnarAggregateByKeyAndWindow(parent, byValue, windowMs, slideMs, paneMs, 'by-value');
  }
  const mergeable: Mergeable<P> = {
    init: () => agg.init(),
    merge: (a, b) => agg.merge(a, b),
    toJSON: (p) => partialToJSON(agg, p) as ReturnType<Mergeable<P>['toJSON']>,
    fromJSON: (j) => partialFromJSON(agg, j),
  };
  const read = fusedReader(parent);
  // Keys get dense slots; per-slot state lives in arrays. The open pane: a partial per slot, its slots in
  // first-seen order, and paneOf[s] === paneSeq for the slots it holds.
  const slots = new KeySlots<K>();
  let parts: P[] = [];
  const paneOf: number[] = [];
  let paneSeq = 1;
  let paneOrder: number[] = [];
  // Sliding only: each key's window (pane end times and pane FIFO), the keys in the window in output order.
  const wins: (KeyWindow<P> | undefined)[] = [];
  let live: number[] = [];
  let observedMs = Number.NEGATIVE_INFINITY;
  const zero = (): number => parent.ctx.zeroTime();

  const fold = (k: K, v: V): void => {
    const s = slots.slot(k);
    if (paneOf[s] !== paneSeq) {
      paneOf[s] = paneSeq;
      paneOrder.push(s);
      parts[s] = agg.add(agg.init(), v);
    } else {
      parts[s] = agg.add(parts[s] as P, v);
    }
  };
  const nextPane = (): void => {
    paneOrder = [];
    paneSeq++;
  };

  const closePane = (t: number): void => {
    for (const s of paneOrder) {
      let w = wins[s];
      if (w === undefined) {
        w = { times: [], head: 0, panes: new SlidingAggregator(mergeable) };
        wins[s] = w;
        live.push(s);
      }
      w.times.push(t);
      w.panes.push(parts[s] as P);
      parts[s] = undefined as P;
    }
    nextPane();
  };

  const advance = (t: number): void => {
    if (t <= observedMs) return;
    observedMs = t;
    const batch = read(t);
    if (batch !== null) foldPairs(batch, fold);
    if (!tumbling && (t - zero()) % paneMs === 0) closePane(t);
  };

  const computeTumbling = (): [K, R][] => {
    const out: [K, R][] = [];
    for (const s of paneOrder) {
      out.push([slots.keyOf[s] as K, agg.result(parts[s] as P)]);
      parts[s] = undefined as P;
    }
    nextPane();
    // Keys keep their slots across windows (most come back), until absent keys outnumber present ones.
    if (slots.size > 2 * out.length + 1024) {
      slots.reset();
      parts = [];
    }
    return out;
  };

  const computeSliding = (t: number): [K, R][] => {
    const out: [K, R][] = [];
    const horizon = t - windowMs;
    const kept: number[] = [];
    for (const s of live) {
      const w = wins[s] as KeyWindow<P>;
      while (w.head < w.times.length && (w.times[w.head] as number) <= horizon) {
        w.panes.evict();
        w.head++;
      }
      if (w.head === w.times.length) {
        wins[s] = undefined;
        slots.release(s);
        continue;
      }
      if (w.head > 16 && w.head * 2 > w.times.length) {
        w.times = w.times.slice(w.head);
        w.head = 0;
      }
      out.push([slots.keyOf[s] as K, agg.result(w.panes.query())]);
      kept.push(s);
    }
    live = kept;
    return out;
  };

  const compute = (t: number): [K, R][] => {
    advance(t);
    return tumbling ? computeTumbling() : computeSliding(t);
  };

  const state: OperatorState = {
    signature: `aggregateByKeyAndWindow(${windowMs},${slideMs})`,
    advance,
    snapshot: (): Snapshot => ({
      observedMs: Number.isFinite(observedMs) ? observedMs : null,
      pane: paneOrder.map((s) => [slots.keyOf[s], partialToJSON(agg, parts[s] as P)]),
      keys: live.map((s) => {
        const w = wins[s] as KeyWindow<P>;
        return [slots.keyOf[s], w.times.slice(w.head), w.panes.toJSON()];
      }),
    }),
    restore: (raw) => {
      const snap = raw as Partial<Snapshot> | null;
      if (
        snap === null ||
        typeof snap !== 'object' ||
        !Array.isArray(snap.pane) ||
        !Array.isArray(snap.keys)
      ) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'aggregateByKeyAndWindow snapshot is malformed');
      }
      observedMs = snap.observedMs ?? Number.NEGATIVE_INFINITY;
      slots.reset();
      parts = [];
      wins.length = 0;
      live = [];
      nextPane();
      for (const [k, times, panes] of snap.keys) {
        const s = slots.slot(k as K);
        wins[s] = { times, head: 0, panes: SlidingAggregator.fromJSON(mergeable, panes) };
        live.push(s);
      }
      for (const [k, p] of snap.pane) {
        const s = slots.slot(k as K);
        if (paneOf[s] !== paneSeq) {
          paneOf[s] = paneSeq;
          paneOrder.push(s);
        }
        parts[s] = partialFromJSON(agg, p);
      }
    },
  };
  return parent.derive<[K, R]>('aggregateByKeyAndWindow', compute, { slideMs, state });
}
