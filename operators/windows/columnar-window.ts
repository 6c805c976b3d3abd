// aggregateByKeyAndWindow for aggregators with a fixed-width numeric partial (AggregatorColumns): every key gets a
// dense slot, partials live side by side in Float64Arrays, so a batch and a slide are loops over typed arrays
// with no object per key or per pane. Outputs are bit for bit those of the generic per-key two-stacks path.
//
// Sliding: a ring of the last R panes (R = (window + slide) / pane, enough to hold every pane not yet evicted) per
// slot, W cells per pane, then the slot's back merge, kept in blocks of B slots (pane-major inside a block), so
// records fold straight into the open pane's cells, closing a pane copies nothing, and more keys add blocks
// instead of copying the ring (cells never move once written). Each key replays the generic path's two-stacks schedule: panes up to
// `frontEnd` hold suffix merges (front), later ones are raw with their running merge in `back` (backMerged); a
// key flips when one of its back panes expires. Merging a pane where the key had no data is exact (an
// identity), so suffix merges may run over every pane and the front's top is always the cell just after the
// horizon. Per key per slide: one merge for the output, one per pane with data, and the flips' merges,
// amortized one per pane: the cost does not grow with window/slide.
import { decodeNumber, encodeNumber } from '../aggregates/aggregate.js';
import type { AggregatorColumns } from '../aggregates/set-aggregator.js';
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeySlots } from '../keys.js';
import { foldPairs, fusedReader } from '../fusion.js';

interface Snapshot {
  columnar: 1;
  observedMs: number | null;
  newest: number;
  /** key, partial */
  pane: [unknown, unknown][];
  /** key, frontEnd, firstBack, lastData, partials of panes newest − R + 1 … newest, back merge. A partial is
   * W numbers (the numbers of the R panes are one flat list), or the columns' own JSON when they have one. */
  keys: [unknown, number, number, number, unknown[], unknown][];
}

// Slots per block of the sliding ring.
const SHIFT = 6;
const B = 1 << SHIFT;
const MASK = B - 1;

const malformed = (): EngineError =>
  new EngineError('SLUICE_ENGINE_CHECKPOINT', 'aggregateByKeyAndWindow (columnar) snapshot is malformed');

export function columnarAggregateByKeyAndWindow<K, V, R>(
  parent: DStream<readonly [K, V]>,
  columns: AggregatorColumns<V, R>,
  windowMs: number,
  slideMs: number,
  paneMs: number,
  kind = 'columnar',
): DStream<[K, R]> {
  const W = columns.width;
  const tumbling = windowMs === slideMs;
  const RING = tumbling ? 0 : (windowMs + slideMs) / paneMs;
  const empty = Float64Array.from(columns.empty);
  const scratch = new Float64Array(W);
  const { add, merge, result, mergedResult } = columns;
  const copy =
    columns.copy ??
    ((from: Float64Array, of: number, to: Float64Array, ot: number): void => {
      for (let j = 0; j < W; j++) to[ot + j] = from[of + j] as number;
    });
  // Sliding windows whose columns fold records into objects keep the open pane's partials as objects.
  const objects = tumbling ? undefined : columns.objects;
  const parts: unknown[] = [];

  let cap = 0;
  // Tumbling: the open pane, W cells per slot.
  let cur: Float64Array = new Float64Array(0);
  // Sliding: slot s's cells of pane i are blocks[s >> SHIFT] at cellAt(s, i mod R). The open pane is newest + 1,
  // at ring position `open`, which held a pane evicted before.
  const blocks: Float64Array[] = [];
  // Per block, 1 where the slot had data in the pane (R·B): a flip copies instead of merging over the others.
  const marks: Uint8Array[] = [];
  let open = tumbling ? 0 : 1;
  const blankPane = new Float64Array(tumbling ? 0 : B * W); // `empty` in every slot of a block's pane
  for (let i = 0; i < blankPane.length; i += W) blankPane.set(empty, i);
  // R panes, then the back merges (at ring position R).
  const blankBlock = new Float64Array(tumbling ? 0 : (RING + 1) * B * W);
  for (let r = 0; r <= RING; r++) blankBlock.set(blankPane, r * B * W);
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
  const ringPos = (i: number): number => ((i % RING) + RING) % RING;
  const cellAt = (s: number, r: number): number => (r * B + (s & MASK)) * W;
  const blockOf = (s: number): Float64Array => blocks[s >>> SHIFT] as Float64Array;

  const fillEmpty = (a: Float64Array, o: number): void => {
    for (let j = 0; j < W; j++) a[o + j] = empty[j] as number;
  };
  // Grows by half (not double): the slot arrays are most of a tumbling window's state, so overshoot is memory.
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
    const sliding = tumbling ? 0 : 1;
    const f64 = (n: number): Float64Array => new Float64Array(n);
    inCur = widen(inCur, (n) => new Uint8Array(n), 1);
    if (tumbling) {
      cur = widen(cur, f64, W);
      for (let s = cap; s < next; s++) fillEmpty(cur, s * W);
    }
    while (sliding === 1 && blocks.length * B < next) {
      blocks.push(blankBlock.slice());
      marks.push(new Uint8Array(RING * B));
    }
    frontEnd = widen(frontEnd, (n) => new Int32Array(n), sliding);
    firstBack = widen(firstBack, (n) => new Int32Array(n), sliding);
    lastData = widen(lastData, (n) => new Int32Array(n), sliding);
    inLive = widen(inLive, (n) => new Uint8Array(n), sliding);
    if (!tumbling) {
      frontEnd.fill(-1, cap);
      firstBack.fill(-1, cap);
      lastData.fill(-1, cap);
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
    fillEmpty(blockOf(s), cellAt(s, RING));
  };

  // Pane idx (the open one) is complete: fold it into each key's back, open the next one.
  const closePane = (idx: number): void => {
    for (const s of curOrder) {
      const block = blockOf(s);
      const back = cellAt(s, RING);
      if (objects !== undefined) {
        objects.store(parts[s], block, cellAt(s, open));
        parts[s] = undefined;
      }
      merge(block, back, block, back, block, cellAt(s, open));
      (marks[s >>> SHIFT] as Uint8Array)[open * B + (s & MASK)] = 1;
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
    open = ringPos(idx + 1);
    for (let b = 0, n = Math.ceil(slots.highWater / B); b < n; b++) {
      (blocks[b] as Float64Array).set(blankPane, open * B * W);
      (marks[b] as Uint8Array).fill(0, open * B, open * B + B);
    }
  };

  const fold = (k: K, v: V): void => {
    const s = slotFor(k);
    if (objects !== undefined) {
      if (inCur[s] === 0) {
        inCur[s] = 1;
        curOrder.push(s);
        parts[s] = objects.add(objects.init(), v);
      } else parts[s] = objects.add(parts[s], v);
      return;
    }
    if (inCur[s] === 0) {
      inCur[s] = 1;
      curOrder.push(s);
    }
    if (tumbling) add(cur, s * W, v);
    else add(blockOf(s), cellAt(s, open), v);
  };

  const advance = (t: number): void => {
    if (t <= observedMs) return;
    observedMs = t;
    const batch = read(t);
    if (batch !== null) foldPairs(batch, fold);
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
    const front = ringPos(lowest);
    let kept = 0;
    for (const s of live) {
      if ((lastData[s] as number) <= horizon) {
        release(s);
        continue;
      }
      const block = blockOf(s);
      const back = cellAt(s, RING);
      if ((firstBack[s] as number) >= 0 && (firstBack[s] as number) <= horizon) {
        // Flip: the panes up to the newest become suffix merges, newest first, as SlidingAggregator's flip.
        // A pane without data is the identity, so its suffix merge is the next one's.
        const marked = marks[s >>> SHIFT] as Uint8Array;
        let next = cellAt(s, ringPos(newest));
        for (let i = newest - 1; i >= lowest; i--) {
          const r = ringPos(i);
          const cell = cellAt(s, r);
          if (marked[r * B + (s & MASK)] === 1) merge(block, cell, block, cell, block, next);
          else copy(block, next, block, cell);
          next = cell;
        }
        frontEnd[s] = newest;
        firstBack[s] = -1;
        fillEmpty(block, back);
      }
      const inFront = (frontEnd[s] as number) >= lowest;
      const a = inFront ? block : empty;
      const oa = inFront ? cellAt(s, front) : 0;
      if (mergedResult !== undefined) out.push([keyOf[s] as K, mergedResult(a, oa, block, back)]);
      else {
        merge(scratch, 0, a, oa, block, back);
        out.push([keyOf[s] as K, result(scratch, 0)]);
      }
      live[kept++] = s;
    }
    live.length = kept;
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

  const { toJSON, fromJSON } = columns;
  const put = (a: Float64Array, o: number): unknown =>
    toJSON === undefined ? encode(a, o, W) : toJSON(a, o);
  const take = (j: unknown, into: Float64Array, o: number): void => {
    if (fromJSON === undefined) decode(j, W, into, o);
    else fromJSON(j, into, o);
  };

  const state: OperatorState = {
    signature: `aggregateByKeyAndWindow(${windowMs},${slideMs},${kind})`,
    advance,
    snapshot: (): Snapshot => ({
      columnar: 1,
      observedMs: Number.isFinite(observedMs) ? observedMs : null,
      newest,
      pane: curOrder.map((s) => {
        if (tumbling) return [keyOf[s], put(cur, s * W)];
        // An object partial is written into the open pane's cells (where closing would write it) to encode it.
        if (objects !== undefined) objects.store(parts[s], blockOf(s), cellAt(s, open));
        return [keyOf[s], put(blockOf(s), cellAt(s, open))];
      }),
      keys: live.map((s) => {
        // The oldest of the R panes is evicted and its array holds the open pane: it is written as empty.
        const cells = [put(empty, 0)];
        for (let i = newest - RING + 2; i <= newest; i++) cells.push(put(blockOf(s), cellAt(s, ringPos(i))));
        return [
          keyOf[s],
          frontEnd[s] as number,
          firstBack[s] as number,
          lastData[s] as number,
          toJSON === undefined ? cells.flat() : cells,
          put(blockOf(s), cellAt(s, RING)),
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
      cur = new Float64Array(0);
      blocks.length = 0;
      marks.length = 0;
      frontEnd = firstBack = lastData = new Int32Array(0);
      inCur = inLive = new Uint8Array(0);
      observedMs = snap.observedMs ?? Number.NEGATIVE_INFINITY;
      newest = snap.newest;
      open = tumbling ? 0 : ringPos(newest + 1);
      grow(snap.pane.length + snap.keys.length);
      live = [];
      for (const [k, fe, fb, ld, cells, back] of snap.keys) {
        const s = slotFor(k as K);
        frontEnd[s] = fe;
        firstBack[s] = fb;
        lastData[s] = ld;
        const per = toJSON === undefined ? W : 1;
        if (!Array.isArray(cells) || cells.length !== RING * per) throw malformed();
        // The oldest pane is evicted (its array is the open pane's): skipped.
        for (let i = 1; i < RING; i++) {
          const cell = cellAt(s, ringPos(newest - RING + 1 + i));
          take(per === 1 ? cells[i] : cells.slice(i * W, (i + 1) * W), blockOf(s), cell);
        }
        take(back, blockOf(s), cellAt(s, RING));
        inLive[s] = 1;
        live.push(s);
      }
      // Which restored panes had data is not in the snapshot: flips merge them all (exact, only slower).
      for (const m of marks) m.fill(1);
      curOrder = [];
      parts.length = 0;
      for (const [k, cells] of snap.pane) {
        const s = slotFor(k as K);
        if (tumbling) take(cells, cur, s * W);
        else take(cells, blockOf(s), cellAt(s, open));
        if (objects !== undefined) parts[s] = objects.load(blockOf(s), cellAt(s, open));
        inCur[s] = 1;
        curOrder.push(s);
      }
    },
  };
  return parent.derive<[K, R]>('aggregateByKeyAndWindow', compute, { slideMs, state });
}
