// Spark's CheckpointSuite, Sluice style: run k batches, take ctx.checkpoint(), save it to a MemoryStateStore (a
// JSON round trip, as on disk), build the same graph on a fresh context, restore and run the rest; the outputs
// of both runs together must equal an uninterrupted run, for every stateful operator. Spark re-runs the last
// batch before the failure after a restart (testCheckpointedOperation expects it twice); a Sluice checkpoint is
// taken after its batch committed, so the restarted run starts with the next batch and nothing repeats.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  EngineError,
  ManualClock,
  MemoryStateStore,
  State,
  StateSpec,
  StreamingContext,
  type DStream,
} from '../../operators/index.js';
import { runWithRestarts, sinkTo, verifyOutput, type GraphBuilder, type Input } from './harness.js';

type KV = [string, number];

const sum = (a: number, b: number): number => a + b;
const diff = (a: number, b: number): number => a - b;

/** One output: the stream op builds from the queue stream over input. */
function graph<T>(input: Input<T>, op: (s: DStream<T>) => DStream<unknown>): GraphBuilder {
  return (ctx, sinks) => {
    sinkTo(op(ctx.queueStream(input)), sinks, 0);
  };
}

// ---- CheckpointSuite / MapWithStateSuite cases -----------------------------------------------------------------

interface SparkCase {
  name: string;
  batchMs: number;
  input: Input<string>;
  op: (s: DStream<string>) => DStream<unknown>;
  expected: unknown[][];
  /** Batches run before the restart (Spark's initialNumBatches). */
  cuts: number[];
}

const ones = (s: DStream<string>): DStream<KV> => s.map((x): KV => [x, 1]);
const tenA: Input<string> = Array.from({ length: 10 }, () => ['a']);

const sparkCases: SparkCase[] = [
  {
    name: 'recovery with map and reduceByKey operations',
    batchMs: 500,
    input: [['a', 'a', 'b'], ['', ''], [], ['a', 'a', 'b'], ['', ''], []],
    op: (s) => ones(s).reduceByKey(sum),
    expected: [
      [
        ['a', 2],
        ['b', 1],
      ],
      [['', 2]],
      [],
      [
        ['a', 2],
        ['b', 1],
      ],
      [['', 2]],
      [],
    ],
    cuts: [3],
  },
  {
    name: 'recovery with invertible reduceByKeyAndWindow operation',
    batchMs: 500,
    input: tenA,
    op: (s) => ones(s).reduceByKeyAndWindow(sum, diff, 500 * 4, 500),
    expected: [[['a', 1]], [['a', 2]], [['a', 3]], ...Array.from({ length: 7 }, () => [['a', 4]])],
    cuts: [7],
  },
  {
    name: 'recovery with updateStateByKey operation',
    batchMs: 500,
    input: tenA,
    op: (s) =>
      ones(s).updateStateByKey<string, number, number>(
        (values, state) => values.reduce(sum, 0) + (state ?? 0),
      ),
    expected: Array.from({ length: 10 }, (_, i) => [['a', i + 1]]),
    cuts: [7],
  },
  {
    // Spark restarts after 2 × (1 s / 500 ms) × 2 batches, runs one more, restarts again and runs 4 more (it only
    // checks that checkpoint files exist); the state must carry through both restarts.
    name: 'basic rdd checkpoints + dstream graph checkpoint recovery',
    batchMs: 500,
    input: tenA,
    op: (s) =>
      ones(s).updateStateByKey<string, number, number>(
        (values, state) => values.reduce(sum, 0) + (state ?? 0),
      ),
    expected: [
      ...Array.from({ length: 10 }, (_, i) => [['a', i + 1]]),
      [['a', 10]],
      [['a', 10]],
      [['a', 10]],
    ],
    cuts: [8, 9],
  },
  {
    name: 'mapWithState - driver failure recovery',
    batchMs: 1000,
    input: [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []],
    op: (s) =>
      ones(s)
        .mapWithState(
          StateSpec.function((_key: string, value: number | null, state: State<number>) => {
            state.update((state.getOption() ?? 0) + (value ?? 0));
            return state.get();
          }),
        )
        .stateSnapshots(),
    expected: [
      [],
      [['a', 1]],
      [
        ['a', 2],
        ['b', 1],
      ],
      [
        ['a', 3],
        ['b', 2],
        ['c', 1],
      ],
      [
        ['a', 4],
        ['b', 3],
        ['c', 1],
      ],
      [
        ['a', 5],
        ['b', 3],
        ['c', 1],
      ],
      [
        ['a', 5],
        ['b', 3],
        ['c', 1],
      ],
    ],
    cuts: [3],
  },
];

describe('CheckpointSuite', () => {
  test.each(sparkCases)('$name', async (c) => {
    const { outputs, reports } = await runWithRestarts(
      graph(c.input, c.op),
      1,
      c.expected.length,
      c.cuts,
      c.batchMs,
    );
    expect(reports).toHaveLength(c.cuts.length);
    for (const r of reports) expect(r.fresh.concat(r.incompatible, r.orphaned)).toEqual([]);
    verifyOutput(outputs[0] ?? [], c.expected, true);
  });
});

// ---- every stateful operator: restart anywhere, same output as an uninterrupted run (property) --------------

interface StatefulOp {
  name: string;
  /** Inverse-function forms compute only with slide ≤ window. */
  needsSlideWithinWindow?: boolean;
  /** How many streams build returns (each gets an output); default 1. */
  outputs?: number;
  build: (s: DStream<KV>, w: number, sl: number) => DStream<unknown>[];
}

const tupleKeys = (s: DStream<KV>): DStream<[[string, number], number]> =>
  s.map(([k, v]): [[string, number], number] => [[k, k.charCodeAt(0)], v]);

const statefulOps: StatefulOp[] = [
  { name: 'window', build: (s, w, sl) => [s.window(w, sl)] },
  { name: 'window of a window', build: (s, w, sl) => [s.window(w, sl).window(2 * sl, sl)] },
  { name: 'reduceByKeyAndWindow', build: (s, w, sl) => [s.reduceByKeyAndWindow(sum, w, sl)] },
  {
    name: 'reduceByKeyAndWindow with inverse',
    needsSlideWithinWindow: true,
    build: (s, w, sl) => [s.reduceByKeyAndWindow(sum, diff, w, sl)],
  },
  {
    name: 'reduceByKeyAndWindow with inverse and filter',
    needsSlideWithinWindow: true,
    build: (s, w, sl) => [s.reduceByKeyAndWindow(sum, diff, w, sl, ([, v]) => v !== 0)],
  },
  {
    name: 'reduceByKeyAndWindow with inverse, tuple keys',
    needsSlideWithinWindow: true,
    build: (s, w, sl) => [tupleKeys(s).reduceByKeyAndWindow(sum, diff, w, sl)],
  },
  { name: 'groupByKeyAndWindow', build: (s, w, sl) => [s.groupByKeyAndWindow(w, sl)] },
  { name: 'countByWindow', needsSlideWithinWindow: true, build: (s, w, sl) => [s.countByWindow(w, sl)] },
  {
    name: 'countByValueAndWindow',
    needsSlideWithinWindow: true,
    build: (s, w, sl) => [s.map(([k]) => k).countByValueAndWindow(w, sl)],
  },
  { name: 'reduceByWindow', build: (s, w, sl) => [s.map(([, v]) => v).reduceByWindow(sum, w, sl)] },
  {
    name: 'reduceByWindow with inverse',
    needsSlideWithinWindow: true,
    build: (s, w, sl) => [s.map(([, v]) => v).reduceByWindow(sum, diff, w, sl)],
  },
  {
    name: 'updateStateByKey',
    build: (s) => [
      s.updateStateByKey<string, number, number[]>(
        (values, state, { timeMs }) =>
          values.length === 0 && timeMs % 3000 === 0 ? undefined : [...(state ?? []), ...values].slice(-3),
        { initialState: [['z', [0]]] },
      ),
    ],
  },
  {
    name: 'updateStateByKey, tuple keys',
    build: (s) => [
      tupleKeys(s).updateStateByKey<[string, number], number, number>(
        (values, state) => values.reduce(sum, 0) + (state ?? 0),
      ),
    ],
  },
  {
    name: 'mapWithState + stateSnapshots',
    outputs: 2,
    build: (s, w, sl) => {
      const mapped = s.mapWithState(
        StateSpec.function((key: string, value: number | null, state: State<number>, timeMs: number) => {
          if (state.isTimingOut()) return `${key} timed out at ${timeMs}`;
          const next = (state.getOption() ?? 0) + (value ?? 0);
          if (next > 6) {
            state.remove();
            return `${key} removed`;
          }
          state.update(next);
          return `${key}=${next}`;
        })
          .timeout(w)
          .timeoutScanInterval(sl)
          .initialState([['y', 1]]),
      );
      return [mapped, mapped.stateSnapshots()];
    },
  },
];

const keys = fc.constantFrom('a', 'b', 'c');
const input = fc.array(
  fc.option(fc.array(fc.tuple(keys, fc.integer({ min: 1, max: 3 })), { maxLength: 4 }), {
    nil: null,
    freq: 6,
  }),
  { minLength: 1, maxLength: 10 },
);
const multiple = fc.integer({ min: 1, max: 3 }).map((n) => n * 1000);

describe('checkpoint and restore: every stateful operator resumes as if never stopped (property)', () => {
  test.each(statefulOps)('$name', async (op) => {
    await fc.assert(
      fc.asyncProperty(
        input,
        multiple,
        multiple,
        fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 3 }),
        async (data, a, b, cuts) => {
          const [w, sl] = op.needsSlideWithinWindow === true && b > a ? [b, a] : [a, b];
          const total = data.length + (w + sl) / 1000 + 1;
          const build: GraphBuilder = (ctx, sinks) => {
            op.build(ctx.queueStream(data), w, sl).forEach((stream, i) => {
              sinkTo(stream, sinks, i);
            });
          };
          const numOutputs = op.outputs ?? 1;
          const straight = await runWithRestarts(build, numOutputs, total, []);
          const restarted = await runWithRestarts(build, numOutputs, total, cuts);
          expect(restarted.outputs).toEqual(straight.outputs);
          for (const r of restarted.reports) {
            expect(r.restored.length).toBeGreaterThan(0);
            expect(r.fresh.concat(r.incompatible, r.orphaned)).toEqual([]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

// ---- restoring into a different graph ----------------------------------------------------------------------

async function checkpointAfter(
  batches: number,
  build: (ctx: StreamingContext) => DStream<number>,
  batchMs = 1000,
): Promise<MemoryStateStore> {
  const ctx = new StreamingContext({ batchIntervalMs: batchMs, clock: new ManualClock() });
  build(ctx).foreachBatch(() => undefined);
  await ctx.runBatches(batches);
  const store = new MemoryStateStore();
  await store.save(ctx.checkpoint());
  ctx.stop();
  return store;
}

const oneToFive: Input<number> = [[1], [2], [3], [4], [5]];

describe('restoring into a changed graph', () => {
  test('a window whose length changed is reported incompatible and starts empty', async () => {
    const store = await checkpointAfter(3, (ctx) => ctx.queueStream(oneToFive).window(2000, 1000));
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    const out: number[][] = [];
    ctx
      .queueStream(oneToFive)
      .window(3000, 1000)
      .foreachBatch((items) => {
        out.push(items.slice());
      });
    const saved = await store.load();
    if (saved === undefined) throw new Error('nothing saved');
    const report = ctx.restore(saved);
    expect(report).toEqual({ restored: [], fresh: [], incompatible: ['window-1'], orphaned: [] });
    await ctx.runBatches(2);
    // Fresh: the batches before the restart are gone ([2, 3, 4] and [3, 4, 5] had it been restored).
    expect(out).toEqual([[4], [4, 5]]);
  });

  test('a checkpointed state no stream is named for is reported orphaned; the renamed stream starts fresh', async () => {
    const store = await checkpointAfter(3, (ctx) =>
      ctx.queueStream(oneToFive).window(2000, 1000).named('w1'),
    );
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    const out: number[][] = [];
    ctx
      .queueStream(oneToFive)
      .window(2000, 1000)
      .named('w2')
      .foreachBatch((items) => {
        out.push(items.slice());
      });
    const saved = await store.load();
    if (saved === undefined) throw new Error('nothing saved');
    expect(ctx.restore(saved)).toEqual({ restored: [], fresh: ['w2'], incompatible: [], orphaned: ['w1'] });
    await ctx.runBatches(2);
    expect(out).toEqual([[4], [4, 5]]);
  });

  test('the same graph restores every stateful stream by name', async () => {
    const store = await checkpointAfter(3, (ctx) => ctx.queueStream(oneToFive).window(2000, 1000).named('w'));
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    const out: number[][] = [];
    ctx
      .queueStream(oneToFive)
      .window(2000, 1000)
      .named('w')
      .foreachBatch((items) => {
        out.push(items.slice());
      });
    const saved = await store.load();
    if (saved === undefined) throw new Error('nothing saved');
    expect(ctx.restore(saved)).toEqual({ restored: ['w'], fresh: [], incompatible: [], orphaned: [] });
    await ctx.runBatches(2);
    expect(out).toEqual([
      [3, 4],
      [4, 5],
    ]);
  });

  test('a checkpoint taken with another batch interval is refused', async () => {
    const store = await checkpointAfter(3, (ctx) => ctx.queueStream(oneToFive).window(2000, 1000));
    const ctx = new StreamingContext({ batchIntervalMs: 500, clock: new ManualClock() });
    ctx
      .queueStream(oneToFive)
      .window(2000, 1000)
      .foreachBatch(() => undefined);
    const saved = await store.load();
    if (saved === undefined) throw new Error('nothing saved');
    let thrown: unknown;
    try {
      ctx.restore(saved);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toBe('SLUICE_ENGINE_CHECKPOINT');
    expect((thrown as EngineError).message).toMatch(/1000 ms batch interval, this context has 500 ms/);
  });

  test('restore() after start is refused', async () => {
    const store = await checkpointAfter(1, (ctx) => ctx.queueStream(oneToFive).window(2000, 1000));
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    ctx
      .queueStream(oneToFive)
      .window(2000, 1000)
      .foreachBatch(() => undefined);
    await ctx.runBatches(1);
    const saved = await store.load();
    if (saved === undefined) throw new Error('nothing saved');
    expect(() => ctx.restore(saved)).toThrow(/before start/);
  });
});
