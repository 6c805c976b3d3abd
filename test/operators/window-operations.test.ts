// Spark's WindowOperationsSuite (and the window cases of JavaAPISuite) ported as tables with Spark's data and
// comparison: the Scala suite compares every batch as a set and runs expected.size × (slide / batch) batches.
// Then what Spark's code does but no Spark test pins (marked "code only"), argument validation, and properties
// against a naive recomputation of each window.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EngineError, ManualClock, StreamingContext, type DStream } from '../../operators/index.js';
import { collect, row, testOperation, verifyOutput, type Case, type Input } from './harness.js';

type Pair<K, V> = [K, V];
type KV = Pair<string, number>;

const sum = (a: number, b: number): number => a + b;
const diff = (a: number, b: number): number => a - b;

/** A window row as WindowOperationsSuite's helpers build it: numBatches = outputs × slide / batch, sets. */
function windowRow<T, U>(
  name: string,
  input: Input<T>,
  op: (s: DStream<T>) => DStream<U>,
  expected: readonly (readonly U[])[],
  slideMs = 1000,
): Case<unknown, unknown> {
  return row({ name, input, op, expected, useSet: true, numBatches: (expected.length * slideMs) / 1000 });
}

const zeroToFive = [[0], [1], [2], [3], [4], [5]];

const largerSlideInput: Input<KV> = [
  [['a', 1]],
  [['a', 2]], // 1st window from here
  [['a', 3]],
  [['a', 4]], // 2nd window from here
  [['a', 5]],
  [['a', 6]], // 3rd window from here
  [],
  [], // 4th window from here
];
const largerSlideReduceOutput: KV[][] = [[['a', 3]], [['a', 10]], [['a', 18]], [['a', 11]]];

const bigInput: Input<KV> = [
  [['a', 1]],
  [
    ['a', 1],
    ['b', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
  ],
  [['a', 1]],
  [],
  [['a', 1]],
  [
    ['a', 1],
    ['b', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
  ],
  [['a', 1]],
  [],
];

const bigGroupByOutput: Pair<string, number[]>[][] = [
  [['a', [1]]],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [['a', [1]]],
  [['a', [1]]],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1, 1]],
    ['c', [1]],
  ],
  [
    ['a', [1, 1]],
    ['b', [1]],
  ],
  [['a', [1]]],
];

const bigReduceOutput: KV[][] = [
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
  ],
  [['a', 1]],
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
  ],
  [['a', 1]],
];

// With an inverse function and no filter, keys stay in the window with value 0 (Spark's comment: "no keys get
// eliminated from the ReducedWindowedDStream even if the value of a key becomes 0").
const bigReduceInvOutput: KV[][] = [
  [['a', 1]],
  [
    ['a', 2],
    ['b', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
    ['c', 0],
  ],
  [
    ['a', 1],
    ['b', 0],
    ['c', 0],
  ],
  [
    ['a', 1],
    ['b', 0],
    ['c', 0],
  ],
  [
    ['a', 2],
    ['b', 1],
    ['c', 0],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 2],
    ['c', 1],
  ],
  [
    ['a', 2],
    ['b', 1],
    ['c', 0],
  ],
  [
    ['a', 1],
    ['b', 0],
    ['c', 0],
  ],
];

/** The reduceByKeyAndWindow rows Spark runs for both forms (testReduceByKeyAndWindow[WithInverse]). */
const reduceRows: [string, Input<KV>, KV[][], number, number][] = [
  [
    'basic reduction',
    [
      [
        ['a', 1],
        ['a', 3],
      ],
    ],
    [[['a', 4]]],
    2000,
    1000,
  ],
  [
    'key already in window and new value added into window',
    [[['a', 1]], [['a', 1]]],
    [[['a', 1]], [['a', 2]]],
    2000,
    1000,
  ],
  [
    'new key added into window',
    [
      [['a', 1]],
      [
        ['a', 1],
        ['b', 1],
      ],
    ],
    [
      [['a', 1]],
      [
        ['a', 2],
        ['b', 1],
      ],
    ],
    2000,
    1000,
  ],
  // The two forms differ here: the naive one drops a, the inverse one keeps it at 0 (overridden below).
  [
    'key removed from window',
    [[['a', 1]], [['a', 1]], [], []],
    [[['a', 1]], [['a', 2]], [['a', 1]], []],
    2000,
    1000,
  ],
  ['larger slide time', largerSlideInput, largerSlideReduceOutput, 4000, 2000],
  ['big test', bigInput, bigReduceOutput, 2000, 1000],
];
const inverseOverrides: Record<string, KV[][]> = {
  'key removed from window': [[['a', 1]], [['a', 2]], [['a', 1]], [['a', 0]]],
  'big test': bigReduceInvOutput,
};

/** groupByKeyAndWindow rows map each group to the set of its values, as Spark's tests do (`x._2.toSet`). */
const valueSets = ([k, vs]: readonly [string, readonly number[]]): Pair<string, number[]> => [
  k,
  [...new Set(vs)].sort((a, b) => a - b),
];

const scalaCases: Case<unknown, unknown>[] = [
  windowRow('window - basic window', zeroToFive, (s: DStream<number>) => s.window(2000, 1000), [
    [0],
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 4],
    [4, 5],
  ]),
  windowRow(
    'window - tumbling window',
    zeroToFive,
    (s: DStream<number>) => s.window(2000, 2000),
    [
      [0, 1],
      [2, 3],
      [4, 5],
    ],
    2000,
  ),
  windowRow(
    'window - larger window',
    zeroToFive,
    (s: DStream<number>) => s.window(4000, 2000),
    [
      [0, 1],
      [0, 1, 2, 3],
      [2, 3, 4, 5],
      [4, 5],
    ],
    2000,
  ),
  // S > W: batches 0 and 3 are in no window.
  windowRow(
    'window - non-overlapping window',
    zeroToFive,
    (s: DStream<number>) => s.window(2000, 3000),
    [
      [1, 2],
      [4, 5],
    ],
    3000,
  ),
  ...reduceRows.map(([name, input, expected, w, sl]) =>
    windowRow(
      `reduceByKeyAndWindow - ${name}`,
      input,
      (s: DStream<KV>) => s.reduceByKeyAndWindow(sum, w, sl),
      expected,
      sl,
    ),
  ),
  ...reduceRows.map(([name, input, expected, w, sl]) =>
    windowRow(
      `reduceByKeyAndWindow with inverse function - ${name}`,
      input,
      (s: DStream<KV>) => s.reduceByKeyAndWindow(sum, diff, w, sl),
      inverseOverrides[name] ?? expected,
      sl,
    ),
  ),
  windowRow(
    'reduceByKeyAndWindow with inverse and filter functions - big test',
    bigInput,
    (s: DStream<KV>) => s.reduceByKeyAndWindow(sum, diff, 2000, 1000, ([, v]) => v !== 0),
    bigReduceOutput,
  ),
  windowRow(
    'groupByKeyAndWindow',
    bigInput,
    (s: DStream<KV>) => s.groupByKeyAndWindow(2000, 1000).map(valueSets),
    bigGroupByOutput.map((b) => b.map(valueSets)),
  ),
  windowRow(
    'countByWindow',
    [[1], [1], [1, 2], [0], [], []],
    (s: DStream<number>) => s.countByWindow(2000, 1000),
    [[1], [2], [3], [3], [1], [0]],
  ),
  windowRow(
    'countByValueAndWindow',
    [['a'], ['b', 'b'], ['a', 'b']],
    (s: DStream<string>) => s.countByValueAndWindow(2000, 1000),
    [
      [['a', 1]],
      [
        ['a', 1],
        ['b', 2],
      ],
      [
        ['a', 1],
        ['b', 3],
      ],
    ],
  ),
];

// ---- JavaAPISuite.java (window cases; one input partition, runStreams(numBatches, numExpectedOutput)) --------

const stringIntKV: Input<KV> = [
  [
    ['california', 1],
    ['california', 3],
    ['new york', 4],
    ['new york', 1],
  ],
  [
    ['california', 5],
    ['california', 5],
    ['new york', 3],
    ['new york', 1],
  ],
];

const javaCases: Case<unknown, unknown>[] = [
  row({
    // window(2 s) with the default slide (the batch): it keeps firing while the window drains.
    name: 'testWindow',
    input: [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ],
    op: (s: DStream<number>) => s.window(2000),
    expected: [
      [1, 2, 3],
      [4, 5, 6, 1, 2, 3],
      [7, 8, 9, 4, 5, 6],
      [7, 8, 9],
    ],
    useSet: true,
  }),
  row({
    name: 'testWindowWithSlideDuration',
    input: [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
      [13, 14, 15],
      [16, 17, 18],
    ],
    op: (s: DStream<number>) => s.window(4000, 2000),
    expected: [
      [1, 2, 3, 4, 5, 6],
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
      [13, 14, 15, 16, 17, 18],
    ],
    useSet: true,
    numBatches: 8,
  }),
  row({
    name: 'testReduceByWindowWithInverse',
    input: [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ],
    op: (s: DStream<number>) => s.reduceByWindow(sum, diff, 2000, 1000),
    expected: [[6], [21], [39], [24]],
  }),
  row({
    name: 'testReduceByWindowWithoutInverse',
    input: [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ],
    op: (s: DStream<number>) => s.reduceByWindow(sum, 2000, 1000),
    expected: [[6], [21], [39], [24]],
  }),
  row({
    name: 'testGroupByKeyAndWindow',
    input: stringIntKV,
    op: (s: DStream<KV>) => s.groupByKeyAndWindow(2000, 1000).map(valueSets),
    expected: (
      [
        [
          ['california', [1, 3]],
          ['new york', [1, 4]],
        ],
        [
          ['california', [1, 3, 5, 5]],
          ['new york', [1, 1, 3, 4]],
        ],
        [
          ['california', [5, 5]],
          ['new york', [1, 3]],
        ],
      ] as Pair<string, number[]>[][]
    ).map((b) => b.map(valueSets)),
    useSet: true,
  }),
  // Java compares these two with exact list equality; Sluice's order (first-seen key) matches the listed one.
  row({
    name: 'testReduceByKeyAndWindow',
    input: stringIntKV,
    op: (s: DStream<KV>) => s.reduceByKeyAndWindow(sum, 2000, 1000),
    expected: [
      [
        ['california', 4],
        ['new york', 5],
      ],
      [
        ['california', 14],
        ['new york', 9],
      ],
      [
        ['california', 10],
        ['new york', 4],
      ],
    ],
  }),
  row({
    name: 'testReduceByKeyAndWindowWithInverse',
    input: stringIntKV,
    op: (s: DStream<KV>) => s.reduceByKeyAndWindow(sum, diff, 2000, 1000),
    expected: [
      [
        ['california', 4],
        ['new york', 5],
      ],
      [
        ['california', 14],
        ['new york', 9],
      ],
      [
        ['california', 10],
        ['new york', 4],
      ],
    ],
  }),
  row({
    name: 'testCountByValueAndWindow',
    input: [['hello', 'world'], ['hello', 'moon'], ['hello']],
    op: (s: DStream<string>) => s.countByValueAndWindow(2000, 1000),
    expected: [
      [
        ['hello', 1],
        ['world', 1],
      ],
      [
        ['hello', 2],
        ['world', 1],
        ['moon', 1],
      ],
      [
        ['hello', 2],
        ['moon', 1],
      ],
    ],
    useSet: true,
  }),
];

// ---- what Spark's window code does that no Spark test pins ---------------------------------------------------

const codeOnlyCases: Case<unknown, unknown>[] = [
  row({
    // The graph of Spark's 'rdd cleanup - map and window' (which only checks remembered RDDs). A window of a window
    // re-includes a base batch once per inner window it is in; order is oldest inner window first.
    name: 'window of a window',
    input: zeroToFive,
    op: (s: DStream<number>) => s.window(2000, 1000).window(4000, 2000),
    expected: [
      [0, 0, 1],
      [0, 0, 1, 1, 2, 2, 3],
      [1, 2, 2, 3, 3, 4, 4, 5],
    ],
    numBatches: 6,
  }),
  row({
    // WindowedDStream unions the parent RDDs that exist: a time with no parent RDD adds nothing.
    name: 'window skips a batch the parent did not produce',
    input: [[1], null, [3]],
    op: (s: DStream<number>) => s.window(2000, 1000),
    expected: [[1], [1], [3], [3], []],
  }),
  row({
    // countByWindow = map(_ => 1L).reduceByWindow(+, −): before the first record there is no key, so [] not [0].
    name: 'countByWindow is empty before the first record and [0] once drained',
    input: [[], [7], [], []],
    op: (s: DStream<number>) => s.countByWindow(2000, 1000),
    expected: [[], [1], [1], [0], [0]],
  }),
  row({
    // reduceByWindow without an inverse is reduce → window → reduce: an empty window has no element.
    name: 'reduceByWindow without inverse gives an empty batch for an empty window',
    input: [[1], [2]],
    op: (s: DStream<number>) => s.reduceByWindow(sum, 1000, 1000),
    expected: [[1], [2], []],
  }),
  row({
    // groupByKeyAndWindow concatenates the groups oldest batch first.
    name: 'groupByKeyAndWindow keeps values oldest batch first',
    input: [
      [
        ['k', 1],
        ['k', 2],
      ],
      [['k', 3]],
      [['k', 4]],
    ],
    op: (s: DStream<KV>) => s.groupByKeyAndWindow(2000, 1000),
    expected: [[['k', [1, 2]]], [['k', [1, 2, 3]]], [['k', [3, 4]]], [['k', [4]]]],
  }),
];

describe('WindowOperationsSuite', () => {
  test.each(scalaCases)('$name', async (c) => {
    await testOperation(c.input, c.op, c.expected, c);
  });
});

describe('JavaAPISuite (window operations)', () => {
  test.each(javaCases)('$name', async (c) => {
    await testOperation(c.input, c.op, c.expected, c);
  });
});

describe('window semantics from Spark code (code only)', () => {
  test.each(codeOnlyCases)('$name', async (c) => {
    await testOperation(c.input, c.op, c.expected, c);
  });

  test('the Spark cleanup-test graph emits numBatches / 2 windows of windows', async () => {
    // 'rdd cleanup - map and window': input (0 until 10).map(x => Seq(x, x + 1)), 10 batches, 5 outputs.
    const input = Array.from({ length: 10 }, (_, x) => [x, x + 1]);
    const { output, error } = await collect(
      [input],
      ([s]) =>
        (s as DStream<number>)
          .map((x): Pair<number, number> => [x % 10, 1])
          .window(2000, 1000)
          .window(4000, 2000),
      10,
    );
    expect(error).toBeUndefined();
    const expected = naiveWindow(
      naiveWindow(
        timed(input.map((b) => b.map((x): Pair<number, number> => [x % 10, 1]))),
        2000,
        1000,
        10_000,
      ),
      4000,
      2000,
      10_000,
    );
    expect(output).toHaveLength(5);
    verifyOutput(output, [...expected.values()], false);
  });

  test('reduceByKeyAndWindow with inverse: a filter that drops a key still in the window fails the batch', async () => {
    // ReducedWindowedDStream: a key with old values but no previous value and no new values throws "Neither
    // previous window has value for key, nor new values found". A filter dropping a nonzero key causes that.
    const { output, error } = await collect(
      [[[['a', 1]], [], []]],
      ([s]) => (s as DStream<KV>).reduceByKeyAndWindow(sum, diff, 2000, 1000, ([, v]) => v > 1),
      4,
    );
    expect(output).toEqual([[], []]);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('SLUICE_ENGINE_STATE');
    expect((error as EngineError).message).toMatch(/neither the previous window has a value for key "a"/);
  });
});

// ---- argument validation -------------------------------------------------------------------------------------

describe('window and slide must be multiples of the parent stream slide', () => {
  const rejected: [string, (s: DStream<number>) => unknown][] = [
    ['window length not a multiple of the batch', (s) => s.window(1500)],
    ['slide not a multiple of the batch', (s) => s.window(2000, 1500)],
    ['zero window', (s) => s.window(0, 1000)],
    ['negative slide', (s) => s.window(2000, -1000)],
    ['window of a 2 s window, 3 s long', (s) => s.window(2000, 2000).window(3000, 2000)],
    ['window of a 2 s window, 1 s slide', (s) => s.window(2000, 2000).window(4000, 1000)],
    ['reduceByWindow', (s) => s.reduceByWindow(sum, 1000, 1100)],
    ['reduceByWindow with inverse', (s) => s.reduceByWindow(sum, diff, 2500, 1000)],
    ['countByWindow', (s) => s.countByWindow(2000, 1500)],
    ['countByValueAndWindow', (s) => s.countByValueAndWindow(2200, 1000)],
    ['reduceByKeyAndWindow', (s) => s.map((x): KV => ['k', x]).reduceByKeyAndWindow(sum, 1500, 1000)],
    [
      'reduceByKeyAndWindow with inverse',
      (s) => s.map((x): KV => ['k', x]).reduceByKeyAndWindow(sum, diff, 2000, 500),
    ],
    ['groupByKeyAndWindow', (s) => s.map((x): KV => ['k', x]).groupByKeyAndWindow(2500)],
  ];
  test.each(rejected)('%s', (_name, op) => {
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    const input = ctx.queueStream([[1]]);
    let thrown: unknown;
    try {
      op(input);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toBe('SLUICE_ENGINE_INVALID_DURATION');
    expect((thrown as EngineError).message).toMatch(
      /must be a positive multiple of the parent stream's slide/,
    );
  });

  test('multiples of the parent slide are accepted, including S > W for a plain window', () => {
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    const input = ctx.queueStream([[1]]);
    expect(() => input.window(2000, 3000).window(6000, 3000)).not.toThrow();
  });
});

// ---- properties against a naive recomputation ----------------------------------------------------------------

/** Input batch i at (i+1)·1000, absent when null. */
function timed<T>(input: Input<T>): Map<number, readonly T[]> {
  const out = new Map<number, readonly T[]>();
  input.forEach((b, i) => {
    if (b !== null) out.set((i + 1) * 1000, b);
  });
  return out;
}

/** Spark's WindowedDStream by definition: at t = S, 2S, ... ≤ horizon, the parent batches in (t − W, t]. */
function naiveWindow<T>(
  parent: Map<number, readonly T[]>,
  w: number,
  s: number,
  horizon: number,
): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (let t = s; t <= horizon; t += s) {
    const items: T[] = [];
    for (const [pt, b] of [...parent].sort((x, y) => x[0] - y[0]))
      if (pt > t - w && pt <= t) items.push(...b);
    out.set(t, items);
  }
  return out;
}

function naiveReduceByKey(items: readonly KV[]): KV[] {
  const m = new Map<string, number>();
  for (const [k, v] of items) m.set(k, (m.get(k) ?? 0) + v);
  return [...m];
}

const keys = fc.constantFrom('a', 'b', 'c', 'd');
const kvBatch = fc.array(fc.tuple(keys, fc.integer({ min: -3, max: 5 })), { maxLength: 4 });
const kvInput = fc.array(fc.option(kvBatch, { nil: null, freq: 6 }), { minLength: 1, maxLength: 10 });
const positiveKvInput = fc.array(
  fc.option(fc.array(fc.tuple(keys, fc.integer({ min: 1, max: 5 })), { maxLength: 4 }), {
    nil: null,
    freq: 6,
  }),
  { minLength: 1, maxLength: 10 },
);
const multiples = fc.integer({ min: 1, max: 4 }).map((n) => n * 1000);

describe('windows against a naive recomputation (property)', () => {
  test('window(W, S) holds exactly the parent batches in (t − W, t], oldest first', async () => {
    await fc.assert(
      fc.asyncProperty(kvInput, multiples, multiples, async (input, w, s) => {
        const numBatches = input.length + w / 1000 + s / 1000;
        const horizon = Math.floor((numBatches * 1000) / s) * s;
        const { output, error } = await collect(
          [input],
          ([st]) => (st as DStream<KV>).window(w, s),
          numBatches,
        );
        expect(error).toBeUndefined();
        verifyOutput(output, [...naiveWindow(timed(input), w, s, horizon).values()], false);
      }),
      { numRuns: 60 },
    );
  });

  test('a window of a window is the naive window of the naive window', async () => {
    await fc.assert(
      fc.asyncProperty(
        kvInput,
        multiples,
        multiples,
        fc.integer({ min: 1, max: 3 }),
        async (input, w, s, m) => {
          const w2 = s * m;
          const numBatches = input.length + (w + w2 + s) / 1000;
          const end = numBatches * 1000;
          const { output, error } = await collect(
            [input],
            ([st]) => (st as DStream<KV>).window(w, s).window(w2, s),
            numBatches,
          );
          expect(error).toBeUndefined();
          const expected = naiveWindow(naiveWindow(timed(input), w, s, end), w2, s, end);
          verifyOutput(output, [...expected.values()], false);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('naive reduceByKeyAndWindow is reduceByKey of the naive window, gaps (S > W) included', async () => {
    await fc.assert(
      fc.asyncProperty(kvInput, multiples, multiples, async (input, w, s) => {
        const numBatches = input.length + w / 1000 + s / 1000;
        const horizon = Math.floor((numBatches * 1000) / s) * s;
        const expected = [...naiveWindow(timed(input), w, s, horizon).values()].map(naiveReduceByKey);
        const { output, error } = await collect(
          [input],
          ([st]) => (st as DStream<KV>).reduceByKeyAndWindow(sum, w, s),
          numBatches,
        );
        expect(error).toBeUndefined();
        verifyOutput(output, expected, true);
      }),
      { numRuns: 60 },
    );
  });

  test('reduceByKeyAndWindow with inverse and filter v != 0 equals the naive form', async () => {
    await fc.assert(
      // Positive values: Spark's equivalence needs a key's sum to be 0 only when it has no values in the window. A
      // batch summing to 0 for a key is filtered out and then fails the batch it leaves the window in (see the
      // 'filter that drops a key still in the window' case), in Spark as here.
      fc.asyncProperty(positiveKvInput, multiples, multiples, async (input, a, b) => {
        // The inverse form computes with S ≤ W only (with S > W its 'new' range reaches outside the window).
        const [w, s] = a >= b ? [a, b] : [b, a];
        const numBatches = input.length + w / 1000 + s / 1000;
        const horizon = Math.floor((numBatches * 1000) / s) * s;
        const expected = [...naiveWindow(timed(input), w, s, horizon).values()].map(naiveReduceByKey);
        const { output, error } = await collect(
          [input],
          ([st]) => (st as DStream<KV>).reduceByKeyAndWindow(sum, diff, w, s, ([, v]) => v !== 0),
          numBatches,
        );
        expect(error).toBeUndefined();
        verifyOutput(output, expected, true);
      }),
      { numRuns: 60 },
    );
  });

  test('countByValueAndWindow counts every value in the naive window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.array(keys, { maxLength: 4 }), { nil: null, freq: 6 }), {
          minLength: 1,
          maxLength: 10,
        }),
        multiples,
        multiples,
        async (input, a, b) => {
          const [w, s] = a >= b ? [a, b] : [b, a];
          const numBatches = input.length + w / 1000 + s / 1000;
          const horizon = Math.floor((numBatches * 1000) / s) * s;
          const expected = [...naiveWindow(timed(input), w, s, horizon).values()].map((items) =>
            naiveReduceByKey(items.map((x): KV => [x, 1])),
          );
          const { output, error } = await collect(
            [input],
            ([st]) => (st as DStream<string>).countByValueAndWindow(w, s),
            numBatches,
          );
          expect(error).toBeUndefined();
          verifyOutput(output, expected, true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
