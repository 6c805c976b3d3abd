// Heap bytes per live key of a count/avg/max window state: V8 heap after a full gc with the state live, minus
// the heap once the state is released, over the number of keys; inputs are held outside so they do not count.
import type { AggregateInput } from '../../operators/aggregates/index.js';
import type { Aggregator } from '../../operators/index.js';
import { settledHeapUsed } from '../gc.js';
import { median } from '../measure.js';
import { heapRow, type Row } from '../report.js';
import { Sink } from '../sink.js';
import {
  addTemp,
  aggregateSetAggregator,
  countAvgMax,
  emptyCountSumMax,
  type CountSumMax,
} from './count-avg-max.js';
import { BATCH_MS, feed, newContext } from './feed.js';
import { keyNames } from './readings.js';

export const MAX_BYTES_PER_KEY = 300;

// A tumbling window longer than the batch keeps its partials between batches: run fewer batches than it spans.
const TUMBLING_WINDOW_MS = 10_000;
const TUMBLING_BATCHES = 3;
// A sliding window measured once it has evicted for a while (its pane FIFO has flipped).
const SLIDING_WINDOW_MS = 60_000;
const SLIDING_BATCHES = 90;
const SLIDING_PANES = SLIDING_WINDOW_MS / BATCH_MS;

/** Builds a state and hands it to `keep`; the state stays live until the holder is emptied. */
type Build = (keep: (state: unknown) => void) => Promise<void>;

/** Bytes per key that `build` keeps alive: median over `repeats` builds. The state is passed out through
 * `keep` rather than returned, so no interpreter register of this frame roots it after release. */
async function bytesPerKey(build: Build, keys: number, repeats: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const held: unknown[] = [];
    await build((state) => held.push(state));
    const live = settledHeapUsed();
    held.length = 0;
    samples.push((live - settledHeapUsed()) / keys);
  }
  return median(samples);
}

/** One batch holding one record of every key, as [key, value] pairs. */
function everyKeyOnce<V>(keyCount: number, value: (key: string, i: number) => V): [string, V][] {
  return keyNames(keyCount).map((key, i): [string, V] => [key, value(key, i)]);
}

function sluiceWindowState<V, P, R>(
  batch: readonly (readonly [string, V])[],
  agg: Aggregator<V, P, R>,
  windowMs: number,
  slideMs: number,
  batches: number,
) {
  return async (keep: (state: unknown) => void): Promise<void> => {
    const ctx = newContext();
    const sink = new Sink();
    feed(
      ctx,
      Array.from({ length: batches }, () => batch),
    )
      .aggregateByKeyAndWindow(agg, windowMs, slideMs)
      .foreachBatch((items) => {
        sink.emit(items.length);
      });
    await ctx.runBatches(batches);
    keep(ctx);
  };
}

export async function windowHeapPerKey(
  tumblingKeys: number,
  slidingKeys: number,
  repeats: number,
): Promise<Row[]> {
  const temp = (i: number): number => 15 + (i % 200) / 10;
  const temps = everyKeyOnce(tumblingKeys, (_, i) => temp(i));
  const records = everyKeyOnce(tumblingKeys, (key, i): AggregateInput => ({ key, temp: temp(i), hum: 40 }));
  const slidingTemps = everyKeyOnce(slidingKeys, (_, i) => temp(i));
  const slidingRecords = everyKeyOnce(slidingKeys, (key, i): AggregateInput => ({
    key,
    temp: temp(i),
    hum: 40,
  }));

  const handRolledTumbling: Build = (keep) => {
    const window = new Map<string, CountSumMax>();
    for (let b = 0; b < TUMBLING_BATCHES; b++) {
      for (const [key, t] of temps) {
        let s = window.get(key);
        if (s === undefined) window.set(key, (s = emptyCountSumMax()));
        addTemp(s, t);
      }
    }
    keep(window);
    return Promise.resolve();
  };
  // The straightforward hand-rolled sliding state: a ring of one pane per second per key.
  const handRolledSliding: Build = (keep) => {
    const rings = new Map<string, CountSumMax[]>();
    for (let b = 0; b < SLIDING_BATCHES; b++) {
      for (const [key, t] of slidingTemps) {
        let ring = rings.get(key);
        if (ring === undefined) {
          ring = Array.from({ length: SLIDING_PANES }, emptyCountSumMax);
          rings.set(key, ring);
        }
        const pane = ring[b % SLIDING_PANES] ?? emptyCountSumMax();
        if (b >= SLIDING_PANES) Object.assign(pane, emptyCountSumMax());
        addTemp(pane, t);
      }
    }
    keep(rings);
    return Promise.resolve();
  };

  const tumblingLabel = `tumbling ${TUMBLING_WINDOW_MS / 1000} s state, ${tumblingKeys / 1000}k keys`;
  const hand = await bytesPerKey(handRolledTumbling, tumblingKeys, repeats);
  const agg = await bytesPerKey(
    sluiceWindowState(temps, countAvgMax, TUMBLING_WINDOW_MS, TUMBLING_WINDOW_MS, TUMBLING_BATCHES),
    tumblingKeys,
    repeats,
  );
  const set = await bytesPerKey(
    sluiceWindowState(
      records,
      aggregateSetAggregator(),
      TUMBLING_WINDOW_MS,
      TUMBLING_WINDOW_MS,
      TUMBLING_BATCHES,
    ),
    tumblingKeys,
    repeats,
  );
  const handSliding = await bytesPerKey(handRolledSliding, slidingKeys, repeats);
  const sliding = await bytesPerKey(
    sluiceWindowState(slidingTemps, countAvgMax, SLIDING_WINDOW_MS, BATCH_MS, SLIDING_BATCHES),
    slidingKeys,
    repeats,
  );
  const slidingSet = await bytesPerKey(
    sluiceWindowState(slidingRecords, aggregateSetAggregator(), SLIDING_WINDOW_MS, BATCH_MS, SLIDING_BATCHES),
    slidingKeys,
    repeats,
  );
  const slidingLabel = `heap sliding 60/1 s state, ${slidingKeys / 1000}k keys`;
  return [
    heapRow(`heap ${tumblingLabel}, Aggregator`, agg, hand, MAX_BYTES_PER_KEY),
    heapRow(`heap ${tumblingLabel}, AggregateSet`, set, hand, MAX_BYTES_PER_KEY),
    heapRow(`${slidingLabel}, Aggregator`, sliding, handSliding),
    heapRow(`${slidingLabel}, AggregateSet`, slidingSet, handSliding),
  ];
}
