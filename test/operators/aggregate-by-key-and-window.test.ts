// aggregateByKeyAndWindow (and reduceByKeyAndWindow, built on it) against a naive recomputation of every window.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ManualClock,
  MemoryStateStore,
  StreamingContext,
  type Aggregator,
  type DStream,
} from '../../operators/index.js';

type Pair = [string, number];

const sumCount: Aggregator<number, [number, number], string> = {
  init: () => [0, 0],
  add: (p, v) => {
    p[0] += v;
    p[1] += 1;
    return p;
  },
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
  result: (p) => `${p[0]}/${p[1]}`,
};

/** Spark's definition: output k at k·slide holds input batches max(0, k·s − w) .. k·s − 1, grouped by key. */
function naive(input: Pair[][], windowMs: number, slideMs: number, numBatches: number, batchMs: number) {
  const out: [string, string][][] = [];
  for (let t = slideMs; t <= numBatches * batchMs; t += slideMs) {
    const sums = new Map<string, [number, number]>();
    for (let i = Math.max(0, (t - windowMs) / batchMs); i < t / batchMs; i++) {
      for (const [k, v] of input[i] ?? []) {
        const s = sums.get(k) ?? [0, 0];
        sums.set(k, [s[0] + v, s[1] + 1]);
      }
    }
    out.push([...sums].map(([k, [s, n]]) => [k, `${s}/${n}`]));
  }
  return out;
}

const sorted = (batches: [string, string][][]) =>
  batches.map((b) => [...b].sort((x, y) => (x[0] < y[0] ? -1 : 1)));

const inputArb = fc.array(
  fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: -5, max: 5 })), { maxLength: 5 }),
  { maxLength: 15 },
);
const windowArb = fc.constantFrom([1, 1], [2, 1], [3, 1], [4, 2], [6, 2], [6, 3], [4, 4], [5, 1], [6, 6]);

function build(input: DStream<Pair>, windowMs: number, slideMs: number, out: [string, string][][]): void {
  input
    .aggregateByKeyAndWindow(sumCount, windowMs, slideMs)
    .named('agg')
    .foreachBatch((items) => {
      out.push(items.slice());
    });
}

describe('aggregateByKeyAndWindow', () => {
  test('equals a naive recomputation of every window, including partial and draining ones', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, windowArb, async (input, [w, s]) => {
        const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
        const out: [string, string][][] = [];
        build(ctx.queueStream(input), w * 1000, s * 1000, out);
        const numBatches = input.length + w + 2;
        await ctx.runBatches(numBatches);
        expect(sorted(out)).toEqual(sorted(naive(input, w * 1000, s * 1000, numBatches, 1000)));
      }),
      { numRuns: 300 },
    );
  });

  test('gives the same outputs when restored from a checkpoint after any batch', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, windowArb, fc.nat(), async (input, [w, s], cut) => {
        const numBatches = input.length + w + 2;
        const k = cut % (numBatches + 1);
        const whole: [string, string][][] = [];
        const a = new StreamingContext({ batchIntervalMs: 1000 });
        build(a.queueStream(input), w * 1000, s * 1000, whole);
        await a.runBatches(numBatches);

        const out: [string, string][][] = [];
        const store = new MemoryStateStore();
        const first = new StreamingContext({ batchIntervalMs: 1000 });
        build(first.queueStream(input), w * 1000, s * 1000, out);
        await first.runBatches(k);
        await store.save(first.checkpoint());
        const second = new StreamingContext({ batchIntervalMs: 1000 });
        build(second.queueStream(input), w * 1000, s * 1000, out);
        second.restore((await store.load()) ?? expect.unreachable());
        await second.runBatches(numBatches - k);
        expect(out).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  test('rejects a slide that is not a multiple of the batch interval', () => {
    const ctx = new StreamingContext({ batchIntervalMs: 1000 });
    expect(() => ctx.queueStream<Pair>([]).aggregateByKeyAndWindow(sumCount, 3000, 1500)).toThrow(
      /slide \(1500 ms\) must be a positive multiple of the parent stream's slide \(1000 ms\)/,
    );
  });
});
