// The hand-rolled baselines of the window scenarios: count/avg/max by key in plain Maps, no engine, as someone
// would write them without Sluice. Like the engine they hand each window's results on as a batch of
// [key, { count, avg, max }] (a window result has to reach its sinks), then the sink reads them.
import type { RunResult } from '../measure.js';
import { Sink } from '../sink.js';
import { addTemp, emptyCountSumMax, type CountAvgMax, type CountSumMax } from './count-avg-max.js';
import { timeLoop } from './feed.js';
import type { Reading } from './readings.js';

/** Tumbling windows of one batch: a Map of {count, sum, max} built per batch, emitted, dropped. */
export function handRolledTumbling(batches: readonly Reading[][]): () => Promise<RunResult> {
  return () => {
    const sink = new Sink();
    return timeLoop(() => {
      for (const batch of batches) {
        const window = new Map<string, CountSumMax>();
        for (const r of batch) {
          let s = window.get(r.key);
          if (s === undefined) window.set(r.key, (s = emptyCountSumMax()));
          addTemp(s, r.temp);
        }
        const results: [string, CountAvgMax][] = [];
        for (const [key, s] of window)
          results.push([key, { count: s.count, avg: s.sum / s.count, max: s.max }]);
        for (const [, r] of results) sink.emit(r.count, r.avg, r.max);
      }
    }, sink);
  };
}

// Per key: `panes` batches of [count, sum, max] in one Float64Array ring, each slot stamped with its batch.
interface Ring {
  readonly cells: Float64Array;
  readonly stamps: Int32Array;
  last: number;
}

/** Sliding windows of `panes` batches, sliding by one batch: a ring of pane partials per key in contiguous typed
 * arrays, scanned whole for every output (O(panes) per key, cache-friendly). Same outputs as Sluice's. */
export function handRolledSliding(batches: readonly Reading[][], panes: number): () => Promise<RunResult> {
  return () => {
    const sink = new Sink();
    return timeLoop(() => {
      const rings = new Map<string, Ring>();
      for (let b = 0; b < batches.length; b++) {
        const slot = b % panes;
        for (const r of batches[b] ?? []) {
          let ring = rings.get(r.key);
          if (ring === undefined) {
            ring = { cells: new Float64Array(panes * 3), stamps: new Int32Array(panes).fill(-1), last: b };
            rings.set(r.key, ring);
          }
          const c = ring.cells;
          const o = slot * 3;
          if (ring.stamps[slot] !== b) {
            ring.stamps[slot] = b;
            c[o] = 0;
            c[o + 1] = 0;
            c[o + 2] = -Infinity;
          }
          c[o] = (c[o] ?? 0) + 1;
          c[o + 1] = (c[o + 1] ?? 0) + r.temp;
          if (r.temp > (c[o + 2] ?? -Infinity)) c[o + 2] = r.temp;
          ring.last = b;
        }
        const oldest = b - panes + 1;
        const results: [string, CountAvgMax][] = [];
        for (const [key, ring] of rings) {
          if (ring.last < oldest) {
            rings.delete(key);
            continue;
          }
          let count = 0;
          let sum = 0;
          let max = -Infinity;
          for (let i = 0; i < panes; i++) {
            if ((ring.stamps[i] ?? -1) < oldest) continue;
            count += ring.cells[i * 3] ?? 0;
            sum += ring.cells[i * 3 + 1] ?? 0;
            max = Math.max(max, ring.cells[i * 3 + 2] ?? -Infinity);
          }
          results.push([key, { count, avg: sum / count, max }]);
        }
        for (const [, r] of results) sink.emit(r.count, r.avg, r.max);
      }
    }, sink);
  };
}
