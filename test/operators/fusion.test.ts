// A map read only by a keyed window is fused into it (the window applies the map function itself, no tuple batch
// is built): outputs must be those of the unfused graph, where another reader makes the map build its batch, and
// the map function must run exactly once per record either way.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { StreamingContext, type Aggregator, type DStream } from '../../operators/index.js';
import { compileAggregateSet, setAggregator } from '../../operators/aggregates/index.js';

type Rec = { key: string; v: number };

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
const columnar = setAggregator<number>(
  compileAggregateSet({ n: 'count()', total: 'sum(v)', hi: 'max(v)' }),
  (v) => ({ v }),
  () => 0,
);

const inputArb = fc.array(
  fc.oneof(
    fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), v: fc.integer({ min: -9, max: 9 }) }), {
      maxLength: 6,
    }),
    fc.constant(null),
  ),
  { maxLength: 12 },
);
const windowArb = fc.constantFrom([1, 1], [3, 1], [4, 2], [2, 2], [6, 3]);

async function run(
  input: (Rec[] | null)[],
  w: number,
  s: number,
  variant: 'generic' | 'columnar',
  fused: boolean,
): Promise<{ out: unknown[][]; calls: number; mapped: number; built: boolean }> {
  const ctx = new StreamingContext({ batchIntervalMs: 1000 });
  let calls = 0;
  let mapped = 0;
  const pairs: DStream<[string, number]> = ctx.queueStream(input).mapToPair((r) => {
    calls++;
    return [r.key, r.v];
  });
  // Another reader of the map: it builds its batches, so the window reads them instead of fusing.
  if (!fused)
    pairs.foreachBatch((items) => {
      mapped += items.length;
    });
  const out: unknown[][] = [];
  const windowed =
    variant === 'generic'
      ? pairs.aggregateByKeyAndWindow(sumCount, w * 1000, s * 1000)
      : pairs.aggregateByKeyAndWindow(columnar, w * 1000, s * 1000);
  let built = false;
  windowed.foreachBatch((items, t) => {
    out.push([...items]);
    built ||= pairs.hasGenerated(t);
  });
  await ctx.runBatches(input.length + w);
  return { out, calls, mapped, built };
}

describe('map fused into aggregateByKeyAndWindow', () => {
  for (const variant of ['generic', 'columnar'] as const) {
    test(`${variant}: same outputs fused and unfused, the map function once per record`, async () => {
      await fc.assert(
        fc.asyncProperty(inputArb, windowArb, async (input, [w, s]) => {
          const records = input.reduce((n, b) => n + (b?.length ?? 0), 0);
          const fused = await run(input, w, s, variant, true);
          const unfused = await run(input, w, s, variant, false);
          expect(fused.out).toEqual(unfused.out);
          expect(fused.calls).toBe(records);
          expect(unfused.calls).toBe(records);
          expect(unfused.mapped).toBe(records);
          expect(fused.built).toBe(false);
        }),
        { numRuns: 150 },
      );
    });
  }

  test('a map read by the window and sliced afterwards still gives its batch', async () => {
    const ctx = new StreamingContext({ batchIntervalMs: 1000 });
    const pairs = ctx
      .queueStream([[{ key: 'a', v: 1 }], [{ key: 'a', v: 2 }]])
      .mapToPair((r): [string, number] => [r.key, r.v]);
    const seen: unknown[][] = [];
    pairs.aggregateByKeyAndWindow(sumCount, 2000, 1000).foreachBatch((items) => {
      seen.push([...items]);
    });
    await ctx.runBatches(2);
    expect(seen).toEqual([[['a', '1/1']], [['a', '3/2']]]);
    expect(pairs.hasGenerated(2000)).toBe(false);
    expect(pairs.slice(2000, 2000)).toEqual([[['a', 2]]]);
  });

  test('an error thrown by the map function fails the batch', async () => {
    const ctx = new StreamingContext({ batchIntervalMs: 1000 });
    ctx
      .queueStream([[1], [2]])
      .mapToPair((x): [string, number] => {
        if (x === 2) throw new Error('bad record');
        return ['k', x];
      })
      .aggregateByKeyAndWindow(sumCount, 1000)
      .foreachBatch(() => undefined);
    await ctx.runBatches(1);
    await expect(ctx.runBatches(1)).rejects.toThrow('bad record');
  });
});
