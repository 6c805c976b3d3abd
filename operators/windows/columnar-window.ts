// aggregateByKeyAndWindow for aggregators with a fixed-width numeric partial (AggregatorColumns): every key gets a
// dense slot, partials live side by side in Float64Arrays, so a batch and a slide are loops over typed arrays
// with no object per key or per pane. Outputs are bit for bit those of the generic per-key two-stacks path.
//
// Per slot, a ring of the last R panes' partials (R = (window + slide) / pane, enough to hold every pane not yet
// evicted). Each key replays the generic path's two-stacks schedule: panes up to `frontEnd` hold suffix merges
// (front), later ones are raw with their running merge in `back` (backMerged); a key flips when one of its back
// panes expires. Merging a pane where the key had no data is exact (an identity), so suffix merges may run over
// every pane and the front's top is always the cell just after the horizon.
import { decodeNumber, encodeNumber } from '../aggregates/aggregate.js';
import type { AggregatorColumns } from '../aggregates/set-aggregator.js';
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeySlots } from '../keys.js';
import { fusedReader } from '../fusion.js';

interface Snapshot {
  columnar: 1;
  observedMs: number | null;
  newest: number;
  pane: [unknown, (number | string)[]][];
  /** key, frontEnd, firstBack, lastData, ring cells of panes newest − R + 1 … newest, backMerged */
  keys: [unknown, number, number, number, (number | string)[], (number | string)[]][];
}

const malformed = (): EngineError =>
  new EngineError('SLUICE_ENGINE_CHECKPOINT', 'aggregateByKeyAndWindow (columnar) snapshot is malformed');

export function columnarAggregateByKeyAndWindow<K, V, R>(
  parent: DStream<readonly [K, V]>,
  columns: AggregatorColumns<V, R>,
  windowMs: number,
  slideMs: number,
  paneMs: number,
): DStream<[K, R]> {
  const W = columns.width;
  const tumbling = windowMs === slideMs;
  const RING = tumbling ? 0 : (windowMs + slideMs) / paneMs;
  const empty = Float64Array.from(columns.empty);
  const scratch = new Float64Array(W);
  const { add, merge, result } = columns;

  let cap = 0;
  let cur = new Float64Array(0); // the pane being filled, W per slot
  let ring = new Float64Array(0); // R·W per slot
  let backMerged = new Float64Array(0);
  let frontEnd = new Int32Array(0); // pane index of the newest front pane, −1 when none
  let firstBack = new Int32Array(0); // pane index of the oldest back pane with data, −1 when none
  let lastData = new Int32Array(0); // pane index of the newest pane with data
  let inCur = new Uint8Array(0);
  let inLive = new Uint8Array(0);
  const slots = new KeySlots<K>();
  const keyOf = slots.keyOf;
  const read = fusedReader(parent);
  let curOrder: number[] = []; // slots of the open pane, first-seen order
  let live: number[] = []; // slots in the window, in the order the generic path keeps its keys
  let newest = 0;
  let observedMs = Number.NEGATIVE_INFINITY;
  const zero = (): number => parent.ctx.zeroTime();
  const pos = (i: number): number => (((i % RING) + RING) % RING) * W;

  const fillEmpty = (a: Float64Array, o: number): void => {
    for (let j = 0; j < W; j++) a[o + j] = empty[j] as number;
  };
  // Grows by half (not double): the slot arrays are most of the state, so overshoot is memory.
  const grow = (need: number): void => {
    if (need <= cap) return;
    const next = Math.max(need, Math.ceil(cap * 1.5), 64);
    const widen = <A extends Float64Array | Int32Array | Uint8Array>(
      a: A,
      make: (n: number) => A,
      per: number,
    ) => {
      const b = make(next * per);
      b.set(a);
      return b;
    };
    // A tumbling window needs the open pane only.
    const sliding = tumbling ? 0 : 1;
    cur = widen(cur, (n) => new Float64Array(n), W);
    inCur = widen(inCur, (n) => new Uint8Array(n), 1);
    ring = widen(ring, (n) => new Float64Array(n), RING * W);
    backMerged = widen(backMerged, (n) => new Float64Array(n), sliding * W);
    frontEnd = widen(frontEnd, (n) => new Int32Array(n), sliding);
    firstBack = widen(firstBack, (n) => new Int32Array(n), sliding);
    lastData = widen(lastData, (n) => new Int32Array(n), sliding);
    inLive = widen(inLive, (n) => new Uint8Array(n), sliding);
    for (let s = cap; s < next; s++) {
      fillEmpty(cur, s * W);
      if (tumbling) continue;
      fillEmpty(backMerged, s * W);
      for (let r = 0; r < RING; r++) fillEmpty(ring, (s * RING + r) * W);
      frontEnd[s] = firstBack[s] = lastData[s] = -1;
    }
    cap = next;
  };
  const slotFor = (k: K): number => {
    const s = slots.slot(k);
    if (s >= cap) grow(s + 1);
    return s;
  };
  const release = (s: number): void => {
    slots.release(s);
    inLive[s] = 0;
    frontEnd[s] = firstBack[s] = lastData[s] = -1;
    fillEmpty(backMerged, s * W);
  };

  const closePane = (idx: number): void => {
    const r = pos(idx);
    for (let s = 0, hi = slots.highWater; s < hi; s++) fillEmpty(ring, s * RING * W + r);
    for (const s of curOrder) {
      const o = s * W;
      const into = s * RING * W + r;
      for (let j = 0; j < W; j++) ring[into + j] = cur[o + j] as number;
      merge(backMerged, o, backMerged, o, cur, o);
      fillEmpty(cur, o);
      inCur[s] = 0;
      lastData[s] = idx;
      if ((firstBack[s] as number) < 0) firstBack[s] = idx;
      if (inLive[s] === 0) {
        inLive[s] = 1;
        live.push(s);
      }
    }
    curOrder = [];
    newest = idx;
  };

  const fold = (k: K, v: V): void => {
    const s = slotFor(k);
    if (inCur[s] === 0) {
      inCur[s] = 1;
      curOrder.push(s);
    }
    add(cur, s * W, v);
  };

  const advance = (t: number): void => {
    if (t <= observedMs) return;
    observedMs = t;
    const batch = read(t);
    if (batch !== null) {
      const { items, f } = batch;
      if (f === undefined) {
        for (const kv of items as readonly (readonly [K, V])[]) fold(kv[0], kv[1]);
      } else {
        for (const item of items) {
          const kv = f(item);
          fold(kv[0], kv[1]);
        }
      }
    }
    if (!tumbling && (t - zero()) % paneMs === 0) closePane((t - zero()) / paneMs);
  };

  const computeTumbling = (): [K, R][] => {
    const out: [K, R][] = [];
    for (const s of curOrder) {
      out.push([keyOf[s] as K, result(cur, s * W)]);
      fillEmpty(cur, s * W);
      inCur[s] = 0;
    }
    // Keys keep their slots across windows (most come back), until absent keys outnumber present ones.
    if (slots.size > 2 * curOrder.length + 1024) slots.reset();
    curOrder = [];
    return out;
  };

  const computeSliding = (t: number): [K, R][] => {
    const out: [K, R][] = [];
    const horizon = (t - windowMs - zero()) / paneMs;
    const lowest = Math.max(horizon + 1, 1);
    const kept: number[] = [];
    for (const s of live) {
      if ((lastData[s] as number) <= horizon) {
        release(s);
        continue;
      }
      const base = s * RING * W;
      if ((firstBack[s] as number) >= 0 && (firstBack[s] as number) <= horizon) {
        // Flip: the panes up to the newest become suffix merges, newest first, as SlidingAggregator's flip.
        for (let i = newest - 1; i >= lowest; i--) {
          const o = base + pos(i);
          merge(ring, o, ring, o, ring, base + pos(i + 1));
        }
        frontEnd[s] = newest;
        firstBack[s] = -1;
        fillEmpty(backMerged, s * W);
      }
      if ((frontEnd[s] as number) >= lowest) merge(scratch, 0, ring, base + pos(lowest), backMerged, s * W);
      else merge(scratch, 0, empty, 0, backMerged, s * W);
      out.push([keyOf[s] as K, result(scratch, 0)]);
      kept.push(s);
    }
    live = kept;
    return out;
  };

  const compute = (t: number): [K, R][] => {
    advance(t);
    return tumbling ? computeTumbling() : computeSliding(t);
  };

  const encode = (a: Float64Array, o: number, n: number): (number | string)[] => {
    const out: (number | string)[] = [];
    for (let j = 0; j < n; j++) out.push(encodeNumber(a[o + j] as number));
    return out;
  };
  const decode = (j: unknown, n: number, into: Float64Array, o: number): void => {
    if (!Array.isArray(j) || j.length !== n) throw malformed();
    for (let i = 0; i < n; i++) {
      const x = decodeNumber(j[i]);
      if (x === undefined) throw malformed();
      into[o + i] = x;
    }
  };

  const state: OperatorState = {
    signature: `aggregateByKeyAndWindow(${windowMs},${slideMs},columnar)`,
    advance,
    snapshot: (): Snapshot => ({
      columnar: 1,
      observedMs: Number.isFinite(observedMs) ? observedMs : null,
      newest,
      pane: curOrder.map((s) => [keyOf[s], encode(cur, s * W, W)]),
      keys: live.map((s) => {
        const cells: (number | string)[] = [];
        for (let i = newest - RING + 1; i <= newest; i++)
          cells.push(...encode(ring, s * RING * W + pos(i), W));
        return [
          keyOf[s],
          frontEnd[s] as number,
          firstBack[s] as number,
          lastData[s] as number,
          cells,
          encode(backMerged, s * W, W),
        ];
      }),
    }),
    restore: (raw) => {
      const snap = raw as Partial<Snapshot> | null;
      if (
        snap === null ||
        typeof snap !== 'object' ||
        snap.columnar !== 1 ||
        typeof snap.newest !== 'number' ||
        !Array.isArray(snap.pane) ||
        !Array.isArray(snap.keys)
      ) {
        throw malformed();
      }
      slots.reset();
      cap = 0;
      cur = ring = backMerged = new Float64Array(0);
      frontEnd = firstBack = lastData = new Int32Array(0);
      inCur = inLive = new Uint8Array(0);
      grow(snap.pane.length + snap.keys.length);
      observedMs = snap.observedMs ?? Number.NEGATIVE_INFINITY;
      newest = snap.newest;
      live = [];
      for (const [k, fe, fb, ld, cells, back] of snap.keys) {
        const s = slotFor(k as K);
        frontEnd[s] = fe;
        firstBack[s] = fb;
        lastData[s] = ld;
        if (!Array.isArray(cells) || cells.length !== RING * W) throw malformed();
        for (let i = 0; i < RING; i++) {
          decode(cells.slice(i * W, (i + 1) * W), W, ring, s * RING * W + pos(newest - RING + 1 + i));
        }
        decode(back, W, backMerged, s * W);
        inLive[s] = 1;
        live.push(s);
      }
      curOrder = [];
      for (const [k, cells] of snap.pane) {
        const s = slotFor(k as K);
        decode(cells, W, cur, s * W);
        inCur[s] = 1;
        curOrder.push(s);
      }
    },
  };
  return parent.derive<[K, R]>('aggregateByKeyAndWindow', compute, { slideMs, state });
}
