// The columnar aggregateByKeyAndWindow path (AggregateSet without quantiles) against the generic per-key path on
// random data with churning keys and fractional values: outputs must be bit for bit the same, also across a
// checkpoint and restore.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MemoryStateStore, StreamingContext, type DStream } from '../../operators/index.js';
import {
  compileAggregateSet,
  type AggregateInput,
  type AggregateResult,
} from '../../operators/aggregates/index.js';
import { setAggregator } from '../../operators/aggregates/set-aggregator.js';

type Rec = { key: string; v: number | string | null; ts: number };

const SPEC = {
  n: 'count()',
  total: 'sum(v)',
  mean: 'avg(v)',
  lo: 'min(v)',
  hi: 'max(v)',
  sd: 'stddev(v)',
  head: 'first(v)',
  tail: 'last(v)',
  d: 'delta(v)',
  r: 'rate(v)',
} as const;

const recArb = fc.record({
  // Keys churn: a wide key space over few records per batch means keys come, leave and come back.
  key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
  v: fc.oneof(
    fc.double({ min: -1000, max: 1000, noNaN: true }),
    fc.integer({ min: -50, max: 50 }).map((i) => i / 10),
    fc.constantFrom(null, 'n/a', '2.5'),
  ),
  ts: fc.integer({ min: 0, max: 20 }),
});
const inputArb = fc.array(fc.oneof(fc.array(recArb, { maxLength: 8 }), fc.constant(null)), {
  maxLength: 20,
});
const windowArb = fc.constantFrom(
  [1, 1],
  [2, 1],
  [3, 1],
  [4, 2],
  [6, 2],
  [6, 3],
  [4, 4],
  [5, 1],
  [6, 6],
  [6, 4],
  [4, 6],
);

type Out = [string, AggregateResult][][];

function build(input: DStream<Rec>, columnar: boolean, w: number, s: number, out: Out): void {
  const agg = setAggregator<Rec>(
    compileAggregateSet(SPEC),
    (r): AggregateInput => r,
    (r) => r.ts,
  );
  expect(agg.columns).toBeDefined();
  input
    .mapToPair((r): [string, Rec] => [r.key, r])
    .aggregateByKeyAndWindow(columnar ? agg : { ...agg, columns: undefined }, w * 1000, s * 1000)
    .named('agg')
    .foreachBatch((items) => {
      out.push(items.slice());
    });
}

// JSON text catches a last-bit difference and the order; Object.is also tells −0 from 0.
function same(a: Out, b: Out): void {
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  expect(a).toEqual(b);
  const differ: string[] = [];
  a.forEach((batch, i) => {
    batch.forEach(([k, r], j) => {
      const r2 = b[i]?.[j]?.[1] ?? {};
      for (const name of Object.keys(r)) if (!Object.is(r[name], r2[name])) differ.push(`${i}/${k}/${name}`);
    });
  });
  expect(differ).toEqual([]);
}

describe('aggregateByKeyAndWindow over an AggregateSet (columnar path)', () => {
  test('gives bit for bit the outputs of the generic path, in the same order, with keys churning', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, windowArb, async (input, [w, s]) => {
        const numBatches = input.length + w + 2;
        const run = async (columnar: boolean): Promise<Out> => {
          const ctx = new StreamingContext({ batchIntervalMs: 1000 });
          const out: Out = [];
          build(ctx.queueStream(input, { oneAtATime: true, defaultBatch: [] }), columnar, w, s, out);
          await ctx.runBatches(numBatches);
          return out;
        };
        same(await run(true), await run(false));
      }),
      { numRuns: 300 },
    );
  });

  test('gives the same outputs when restored from a checkpoint after any batch', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, windowArb, fc.nat(), async (input, [w, s], cut) => {
        const numBatches = input.length + w + 2;
        const k = cut % (numBatches + 1);
        const queue = (ctx: StreamingContext) =>
          ctx.queueStream(input, { oneAtATime: true, defaultBatch: [] });
        const whole: Out = [];
        const a = new StreamingContext({ batchIntervalMs: 1000 });
        build(queue(a), false, w, s, whole);
        await a.runBatches(numBatches);

        const out: Out = [];
        const store = new MemoryStateStore();
        const first = new StreamingContext({ batchIntervalMs: 1000 });
        build(queue(first), true, w, s, out);
        await first.runBatches(k);
        await store.save(first.checkpoint());
        const second = new StreamingContext({ batchIntervalMs: 1000 });
        build(queue(second), true, w, s, out);
        second.restore((await store.load()) ?? expect.unreachable());
        await second.runBatches(numBatches - k);
        same(out, whole);
      }),
      { numRuns: 200 },
    );
  });

  test('matches the generic path when thousands of keys come and go (slots are recycled)', async () => {
    // Batches of 3000 keys (a third of them new) between batches of 7: tumbling windows drop absent keys'
    // slots once they outnumber present ones; sliding windows free a slot when its key leaves.
    const input = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: b % 3 === 0 ? 3000 : 7 }, (_, i): Rec => ({
        key: `k${b * 1000 + i}`,
        v: (i % 37) / 10,
        ts: b,
      })),
    );
    for (const [w, s] of [
      [1, 1],
      [2, 2],
      [3, 1],
      [4, 2],
    ] as const) {
      const run = async (columnar: boolean): Promise<Out> => {
        const ctx = new StreamingContext({ batchIntervalMs: 1000 });
        const out: Out = [];
        build(ctx.queueStream(input), columnar, w, s, out);
        await ctx.runBatches(input.length + w + 1);
        return out;
      };
      same(await run(true), await run(false));
    }
  });

  test('rejects a generic snapshot rather than misreading it', async () => {
    const store = new MemoryStateStore();
    const first = new StreamingContext({ batchIntervalMs: 1000 });
    build(first.queueStream([[{ key: 'a', v: 1, ts: 0 }]]), false, 2, 1, []);
    await first.runBatches(1);
    await store.save(first.checkpoint());
    const second = new StreamingContext({ batchIntervalMs: 1000 });
    build(second.queueStream([]), true, 2, 1, []);
    expect(second.restore((await store.load()) ?? expect.unreachable()).incompatible).toEqual(['agg']);
  });
});
