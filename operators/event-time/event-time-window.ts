// Event-time tumbling and hopping windows with a watermark (Structured Streaming's window() + withWatermark):
// each window's final result is emitted once, when the watermark passes its end; a record whose windows have
// already been emitted goes to late(). Windows are aligned to the epoch: starts at multiples of the slide.
// Partials are kept per pane (gcd of length and slide) and per key, so a hopping window merges panes instead of
// re-reading records.
import { collectList, partialFromJSON, partialToJSON, type Aggregator } from '../aggregator.js';
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeyMap } from '../keys.js';
import { gcd } from '../windows/window-checks.js';
import { Watermark } from './watermark.js';
import { withLateOutput, type EventWindowedDStream, type WindowResult } from './window-result.js';

export interface EventTimeWindowOptions<V, P, R> {
  /** Window length in ms (required). */
  lengthMs: number;
  /** Distance between window starts in ms, at most the length; default: the length (tumbling). */
  slideMs?: number;
  /** How far behind the latest event time a record may be and still count (required, may be 0). */
  allowedLatenessMs: number;
  /** The record's event time in epoch ms. */
  time: (value: V) => number;
  /** How a window folds its values; default: collects them into an array. */
  aggregate?: Aggregator<V, P, R>;
}

interface Snapshot {
  watermark: unknown;
  panes: [number, [unknown, unknown][]][];
}

export function windowByEventTime<K, V, P = V[], R = V[]>(
  parent: DStream<readonly [K, V]>,
  options: EventTimeWindowOptions<V, P, R>,
): EventWindowedDStream<K, V, R> {
  const lengthMs = options.lengthMs;
  const slideMs = options.slideMs ?? lengthMs;
  if (
    !Number.isInteger(lengthMs) ||
    lengthMs <= 0 ||
    !Number.isInteger(slideMs) ||
    slideMs <= 0 ||
    slideMs > lengthMs
  ) {
    throw new EngineError(
      'SLUICE_ENGINE_INVALID_DURATION',
      `windowByEventTime: length ${String(lengthMs)} ms and slide ${String(slideMs)} ms must be positive whole milliseconds with slide ≤ length`,
      'use slide = length for tumbling windows, or a smaller slide for hopping ones',
    );
  }
  const agg = (options.aggregate ?? collectList<V>()) as Aggregator<V, P, R>;
  const time = options.time;
  const paneMs = gcd(lengthMs, slideMs);
  const watermark = new Watermark(options.allowedLatenessMs);
  // Pane start → key → partial. paneStarts is kept sorted.
  const panes = new Map<number, KeyMap<K, P>>();
  let paneStarts: number[] = [];
  let lateBatch: { t: number; items: [K, V][] } = { t: Number.NaN, items: [] };

  /** Start of the first window that contains timeMs. */
  const firstWindowStart = (timeMs: number): number =>
    (Math.floor((timeMs - lengthMs) / slideMs) + 1) * slideMs;

  const addRecord = (key: K, value: V, ts: number): void => {
    const paneStart = Math.floor(ts / paneMs) * paneMs;
    let byKey = panes.get(paneStart);
    if (byKey === undefined) {
      byKey = new KeyMap<K, P>();
      panes.set(paneStart, byKey);
      insertSorted(paneStarts, paneStart);
    }
    byKey.set(key, agg.add(byKey.has(key) ? (byKey.get(key) as P) : agg.init(), value));
  };

  /** Emits every window whose end is in (from, to], oldest first, then drops panes no open window needs. */
  const fire = (fromMs: number, toMs: number, out: [K, WindowResult<R>][]): void => {
    let start = Number.isFinite(fromMs) ? firstWindowStart(fromMs) : Number.NEGATIVE_INFINITY;
    for (;;) {
      const i = lowerBound(paneStarts, start);
      const nextPane = paneStarts[i];
      if (nextPane === undefined) break;
      start = Math.max(start, firstWindowStart(nextPane));
      const end = start + lengthMs;
      if (end > toMs) break;
      const merged = new KeyMap<K, P>();
      for (let j = i; j < paneStarts.length; j++) {
        const p = paneStarts[j] as number;
        if (p >= end) break;
        for (const [k, partial] of (panes.get(p) as KeyMap<K, P>).entries()) {
          merged.set(k, merged.has(k) ? agg.merge(merged.get(k) as P, partial) : partial);
        }
      }
      for (const [k, partial] of merged.entries()) out.push([k, { start, end, value: agg.result(partial) }]);
      start += slideMs;
    }
    // Panes before the first window still open belong to emitted windows only.
    const keepFrom = Number.isFinite(toMs) ? firstWindowStart(toMs) : Number.NEGATIVE_INFINITY;
    const drop = lowerBound(paneStarts, keepFrom);
    for (const p of paneStarts.slice(0, drop)) panes.delete(p);
    if (drop > 0) paneStarts = paneStarts.slice(drop);
  };

  const compute = (t: number): [K, WindowResult<R>][] => {
    const before = watermark.current;
    const late: [K, V][] = [];
    for (const [key, value] of parent.getOrCompute(t) ?? []) {
      const ts = time(value);
      if (!Number.isFinite(ts) || firstWindowStart(ts) + lengthMs <= before) {
        late.push([key, value]);
        continue;
      }
      addRecord(key, value, ts);
      watermark.observe(ts);
    }
    lateBatch = { t, items: late };
    const out: [K, WindowResult<R>][] = [];
    fire(before, watermark.advance(), out);
    return out;
  };

  const state: OperatorState = {
    signature: `windowByEventTime(${lengthMs},${slideMs},${options.allowedLatenessMs})`,
    snapshot: (): Snapshot => ({
      watermark: watermark.snapshot(),
      panes: paneStarts.map((p) => [
        p,
        (panes.get(p) as KeyMap<K, P>)
          .toPairs()
          .map(([k, v]): [unknown, unknown] => [k, partialToJSON(agg, v)]),
      ]),
    }),
    restore: (s) => {
      const snap = s as Partial<Snapshot> | null;
      if (snap === null || typeof snap !== 'object' || !Array.isArray(snap.panes)) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'windowByEventTime snapshot is malformed');
      }
      watermark.restore(snap.watermark);
      panes.clear();
      paneStarts = [];
      for (const [p, pairs] of snap.panes) {
        panes.set(p, KeyMap.fromPairs(pairs.map(([k, v]): [K, P] => [k as K, partialFromJSON(agg, v)])));
        paneStarts.push(p);
      }
    },
  };
  const main = parent.derive<[K, WindowResult<R>]>('windowByEventTime', compute, { state });
  return withLateOutput<K, V, R>(main, (t) => (lateBatch.t === t ? lateBatch.items : []));
}

/** Index of the first element ≥ x in a sorted array. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], x: number): void {
  sorted.splice(lowerBound(sorted, x), 0, x);
}
