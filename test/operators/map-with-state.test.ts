// Spark's MapWithStateSuite ported as tables: State's rules, then mapWithState with the mapped output and
// stateSnapshots() compared per batch as sets (as the suite's own assert does), on input.map(x => (x, 1)).
// Timeouts follow Spark's code: idle keys are looked for only on full-scan batches (the state stream's checkpoint
// batches, every 10 slides by default), so the exact batch a key times out in is asserted.
import { describe, expect, test } from 'vitest';
import { EngineError, State, StateSpec, type DStream } from '../../operators/index.js';
import { collect, runMapWithState, verifyOutput, type Input } from './harness.js';

// ---- 'state - get, exists, update, remove, ' ---------------------------------------------------------------

interface Expected {
  /** The state's value, or undefined when it does not exist. */
  data: number | undefined;
  updated?: boolean;
  removed?: boolean;
  timingOut?: boolean;
}

/** Spark's testState helper. */
function testState(state: State<number>, e: Expected): void {
  if (e.data !== undefined) {
    expect(state.exists()).toBe(true);
    expect(state.get()).toBe(e.data);
    expect(state.getOption()).toBe(e.data);
  } else {
    expect(state.exists()).toBe(false);
    expect(() => state.get()).toThrow(/State is not set/);
    expect(state.getOption()).toBeUndefined();
  }
  expect(state.isTimingOut()).toBe(e.timingOut ?? false);
  if (e.timingOut === true) {
    expect(() => {
      state.remove();
    }).toThrow(/Cannot remove the state that is timing out/);
    expect(() => {
      state.update(-1);
    }).toThrow(/Cannot update the state that is timing out/);
  }
  expect(state.isUpdated()).toBe(e.updated ?? false);
  expect(state.isRemoved()).toBe(e.removed ?? false);
  if (e.removed === true) {
    expect(() => {
      state.remove();
    }).toThrow(/Cannot remove the state that has already been removed/);
    expect(() => {
      state.update(-1);
    }).toThrow(/Cannot update the state after it has been removed/);
  }
}

// Spark's test walks one StateImpl through these steps; each row replays the steps up to its check.
const stateRows: [string, (s: State<number>) => void, Expected][] = [
  ['new state', () => undefined, { data: undefined }],
  [
    'wrap(None)',
    (s) => {
      s.wrap(false, undefined, false);
    },
    { data: undefined },
  ],
  [
    'wrap(Some(1))',
    (s) => {
      s.wrap(true, 1, false);
    },
    { data: 1 },
  ],
  [
    'wrap(Some(1)), update(2)',
    (s) => {
      s.wrap(true, 1, false);
      s.update(2);
    },
    { data: 2, updated: true },
  ],
  [
    'new state, update(2)',
    (s) => {
      s.update(2);
    },
    { data: 2, updated: true },
  ],
  [
    // remove() after update(): not updated any more; a second remove and an update after remove both fail.
    'new state, update(2), remove()',
    (s) => {
      s.update(2);
      s.remove();
    },
    { data: undefined, removed: true },
  ],
  [
    // wrapTimingOutState(3): the value is there, but update and remove both fail.
    'new state, update(2), remove(), wrapTimingOutState(3)',
    (s) => {
      s.update(2);
      s.remove();
      s.wrap(true, 3, true);
    },
    { data: 3, timingOut: true },
  ],
];

describe("MapWithStateSuite: 'state - get, exists, update, remove, '", () => {
  test.each(stateRows)('%s', (_name, steps, expected) => {
    const state = new State<number>();
    steps(state);
    testState(state, expected);
  });
});

// ---- mapWithState ------------------------------------------------------------------------------------------

interface MapCase {
  name: string;
  input: Input<string>;
  spec: () => StateSpec<string, number, number, unknown>;
  outputs: readonly (readonly unknown[])[];
  snapshots: readonly (readonly [string, number][])[];
}

const countInput: Input<string> = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];
const countStates: [string, number][][] = [
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
];

/** Running count: the state holds the sum of the values seen; returns the new sum. */
function runningSum(value: number | null, state: State<number>): number {
  const s = (value ?? 0) + (state.getOption() ?? 0);
  state.update(s);
  return s;
}

const mapCases: MapCase[] = [
  {
    name: 'mapWithState - basic operations with simple API',
    input: countInput,
    spec: () =>
      StateSpec.function((_key: string, value: number | null, state: State<number>) =>
        runningSum(value, state),
      ),
    outputs: [[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []],
    snapshots: countStates,
  },
  {
    name: 'mapWithState - basic operations with advanced API',
    input: countInput,
    spec: () =>
      StateSpec.function((key: string, value: number | null, state: State<number>) => {
        runningSum(value, state);
        return key + key;
      }),
    outputs: [[], ['aa'], ['aa', 'bb'], ['aa', 'bb', 'cc'], ['aa', 'bb'], ['aa'], []],
    snapshots: countStates,
  },
  {
    name: 'mapWithState - states as mapped data',
    input: countInput,
    spec: () =>
      StateSpec.function((key: string, value: number | null, state: State<number>) => [
        key,
        runningSum(value, state),
      ]),
    outputs: [
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
      ],
      [['a', 5]],
      [],
    ],
    snapshots: countStates,
  },
  {
    name: 'mapWithState - initial states, with nothing returned as from mapping function',
    input: countInput,
    spec: () =>
      StateSpec.function((_key: string, value: number | null, state: State<number>): undefined => {
        runningSum(value, state);
        return undefined;
      }).initialState([
        ['a', 5],
        ['b', 10],
        ['c', -20],
        ['d', 0],
      ]),
    outputs: countInput.map(() => []),
    snapshots: [
      [
        ['a', 5],
        ['b', 10],
        ['c', -20],
        ['d', 0],
      ],
      [
        ['a', 6],
        ['b', 10],
        ['c', -20],
        ['d', 0],
      ],
      [
        ['a', 7],
        ['b', 11],
        ['c', -20],
        ['d', 0],
      ],
      [
        ['a', 8],
        ['b', 12],
        ['c', -19],
        ['d', 0],
      ],
      [
        ['a', 9],
        ['b', 13],
        ['c', -19],
        ['d', 0],
      ],
      [
        ['a', 10],
        ['b', 13],
        ['c', -19],
        ['d', 0],
      ],
      [
        ['a', 10],
        ['b', 13],
        ['c', -19],
        ['d', 0],
      ],
    ],
  },
  {
    // A key seen while it has a state is removed and emitted; otherwise its value becomes its state.
    name: 'mapWithState - state removing',
    input: [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []],
    spec: () =>
      StateSpec.function((key: string, value: number | null, state: State<number>) => {
        if (state.exists()) {
          state.remove();
          return key;
        }
        state.update(value ?? 0);
        return undefined;
      }),
    outputs: [[], [], ['a'], ['b'], ['a', 'c'], ['b'], ['a'], []],
    snapshots: [
      [],
      [['a', 1]],
      [['b', 1]],
      [
        ['a', 1],
        ['c', 1],
      ],
      [['b', 1]],
      [['a', 1]],
      [],
      [],
    ],
  },
];

describe('MapWithStateSuite: mapWithState', () => {
  test.each(mapCases)('$name', async (c) => {
    const { outputs, snapshots } = await runMapWithState(c.input, c.spec(), c.outputs.length);
    verifyOutput(outputs, c.outputs, true);
    verifyOutput(snapshots, c.snapshots, true);
  });

  test('mapWithState - state timing out', async () => {
    const input: Input<string> = [
      ['a', 'b', 'c'],
      ['a', 'b'],
      ['a'],
      [], // c will time out
      [], // b will time out
      ['a'], // a will not time out
      ...Array.from({ length: 20 }, () => ['a']), // a will continue to stay active
    ];
    const spec = StateSpec.function((key: string, value: number | null, state: State<number>) => {
      if (value !== null) state.update(1);
      return state.isTimingOut() ? key : undefined;
    }).timeout(3000);
    const { outputs, snapshots } = await runMapWithState(input, spec, 20);

    // Spark's own (loose) assertions.
    expect(outputs.flat().sort()).toEqual(['b', 'c']);
    expect(snapshots.some((s) => JSON.stringify(s.slice().sort()) === '[["a",1],["b",1],["c",1]]')).toBe(
      true,
    );
    expect(snapshots.at(-1)).toEqual([['a', 1]]);

    // Exactly, per Spark's code: b (last data at 2 s) and c (1 s) are idle for more than 3 s from t = 5 s on, but
    // only the full scan at t = 10 s (the default checkpoint interval, 10 batches) times them out.
    const idle = (n: number, v: unknown): unknown[][] => Array.from({ length: n }, () => v as unknown[]);
    verifyOutput(outputs, [...idle(9, []), ['b', 'c'], ...idle(10, [])], true);
    verifyOutput(
      snapshots,
      [
        ...idle(9, [
          ['a', 1],
          ['b', 1],
          ['c', 1],
        ]),
        ...idle(11, [['a', 1]]),
      ],
      true,
    );
  });
});

// ---- what Spark's MapWithStateRDD code does that the suite does not pin (code only) --------------------------

describe('mapWithState semantics from Spark code (code only)', () => {
  test('with a timeout, a key that receives data stays alive even when the function does not update it', async () => {
    // MapWithStateRDDRecord puts the state back with the batch time when it exists and a timeout is set.
    const spec = StateSpec.function((key: string, value: number | null, state: State<number>) => {
      if (!state.exists() && value !== null) state.update(value);
      return state.isTimingOut() ? key : undefined;
    }).timeout(3000);
    const input: Input<string> = [['a', 'b'], [], [], [], ['a'], ['a'], ['a'], ['a'], ['a'], ['a']];
    const { outputs, snapshots } = await runMapWithState(input, spec, 10);
    verifyOutput(outputs, [...Array.from({ length: 9 }, () => []), ['b']], true);
    expect(snapshots.at(-1)).toEqual([['a', 1]]);
  });

  test('timeoutScanInterval sets how often idle keys are looked for', async () => {
    const spec = StateSpec.function((key: string, value: number | null, state: State<number>) => {
      if (value !== null) state.update(1);
      return state.isTimingOut() ? key : undefined;
    })
      .timeout(1000)
      .timeoutScanInterval(3000);
    const { outputs } = await runMapWithState([['a'], ['b'], [], [], [], []], spec, 6);
    // Scans at 3 s (a: last update 1 s < 3 s − 1 s) and 6 s (b: 2 s < 5 s).
    verifyOutput(outputs, [[], [], ['a'], [], [], ['b']], true);
  });

  test('updating a state that is timing out fails the batch', async () => {
    const { error } = await collect(
      [[['a']]],
      ([s]) =>
        (s as DStream<string>)
          .map((x): [string, number] => [x, 1])
          .mapWithState(
            StateSpec.function((_key: string, value: number | null, state: State<number>) => {
              state.update(value ?? 0);
              return undefined;
            }).timeout(1000),
          ),
      10,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error?.message).toMatch(/Cannot update the state that is timing out/);
  });

  test('a missing input batch is an empty batch: mapped output and snapshots still come', async () => {
    // InternalMapWithStateDStream uses an empty RDD when the parent has none.
    const spec = StateSpec.function((_key: string, value: number | null, state: State<number>) =>
      runningSum(value, state),
    );
    const { outputs, snapshots } = await runMapWithState([['a'], null, ['a']], spec, 3);
    verifyOutput(outputs, [[1], [], [2]], true);
    verifyOutput(snapshots, [[['a', 1]], [['a', 1]], [['a', 2]]], true);
  });
});
