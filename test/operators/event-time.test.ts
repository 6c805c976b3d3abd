// Event-time windows and session windows: watermark edges, late side output, key churn, and restore.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ManualClock,
  MemoryStateStore,
  StreamingContext,
  reducing,
  type Aggregator,
  type DStream,
  type WindowResult,
} from '../../operators/index.js';

type Rec = [string, number]; // [key, event time]

const countAgg: Aggregator<number, number, number> = {
  init: () => 0,
  add: (p) => p + 1,
  merge: (a, b) => a + b,
  result: (p) => p,
};

interface Collected {
  windows: [string, WindowResult<number>][][];
  late: Rec[][];
}

function build(
  input: DStream<Rec>,
  kind: 'tumbling' | 'hopping' | 'session',
  out: Collected,
  params = { lengthMs: 10_000, slideMs: 5_000, latenessMs: 5_000, gapMs: 3_000 },
): void {
  const w =
    kind === 'session'
      ? input.sessionWindow({
          gapMs: params.gapMs,
          allowedLatenessMs: params.latenessMs,
          time: (ts) => ts,
          aggregate: countAgg,
        })
      : input.windowByEventTime({
          lengthMs: params.lengthMs,
          slideMs: kind === 'tumbling' ? params.lengthMs : params.slideMs,
          allowedLatenessMs: params.latenessMs,
          time: (ts) => ts,
          aggregate: countAgg,
        });
  w.named('w').foreachBatch((items) => {
    out.windows.push(items.slice());
  });
  w.late().foreachBatch((items) => {
    out.late.push(items.slice());
  });
}

async function run(
  batches: Rec[][],
  kind: 'tumbling' | 'hopping' | 'session',
  params?: { lengthMs: number; slideMs: number; latenessMs: number; gapMs: number },
): Promise<Collected> {
  const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
  const out: Collected = { windows: [], late: [] };
  build(ctx.queueStream(batches), kind, out, params);
  await ctx.runBatches(batches.length);
  return out;
}

describe('windowByEventTime (tumbling, length 10 s, lateness 5 s)', () => {
  test('emits a window once the watermark passes its end, counting out-of-order records within lateness', async () => {
    const out = await run(
      [
        [
          ['a', 1_000],
          ['a', 9_000],
        ],
        [['a', 4_000]], // out of order, window [0,10s) still open
        [['a', 14_999]], // watermark 9_999: window [0,10s) not yet closed
        [['a', 15_000]], // watermark 10_000 = end of [0,10s): it closes now
      ],
      'tumbling',
    );
    expect(out.windows).toEqual([[], [], [], [['a', { start: 0, end: 10_000, value: 3 }]]]);
    expect(out.late.flat()).toEqual([]);
  });

  test('counts a record exactly at the watermark and sends one just behind a closed window to late()', async () => {
    const out = await run(
      [
        [['a', 25_000]], // watermark 20_000: windows ending at or before 20 s are closed
        [
          ['a', 20_000],
          ['a', 19_999],
          ['b', 10_000],
        ],
      ],
      'tumbling',
    );
    expect(out.late).toEqual([
      [],
      [
        ['a', 19_999],
        ['b', 10_000],
      ],
    ]);
    // 20_000 is in [20s, 30s), still open; nothing has closed with data.
    expect(out.windows.flat()).toEqual([]);
  });

  test('does not move the watermark on empty batches', async () => {
    const out = await run([[['a', 1_000]], [], [], [], []], 'tumbling');
    expect(out.windows.flat()).toEqual([]);
  });

  test('sends records whose time is not a number to late()', async () => {
    const out = await run(
      [
        [
          ['a', Number.NaN],
          ['b', 1],
        ],
      ],
      'tumbling',
    );
    expect(out.late).toEqual([[['a', Number.NaN]]]);
  });

  test('forgets keys once their windows are emitted (key churn keeps state bounded)', async () => {
    const batches: Rec[][] = [];
    for (let i = 0; i < 50; i++) batches.push([[`k${i}`, i * 10_000 + 1]]);
    const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
    const out: Collected = { windows: [], late: [] };
    build(ctx.queueStream(batches), 'tumbling', out);
    await ctx.runBatches(batches.length);
    const snap = ctx.checkpoint().operators.w?.state as { panes: [number, unknown[]][] };
    // Only the newest window (and the one the watermark has not yet passed) can still hold data.
    expect(snap.panes.length).toBeLessThanOrEqual(2);
    expect(out.windows.flat().length).toBe(48);
  });
});

describe('windowByEventTime (hopping, length 10 s, slide 5 s)', () => {
  test('puts a record into both windows that contain it', async () => {
    const out = await run([[['a', 7_000]], [['a', 30_000]]], 'hopping');
    expect(out.windows.flat()).toEqual([
      ['a', { start: 0, end: 10_000, value: 1 }],
      ['a', { start: 5_000, end: 15_000, value: 1 }],
    ]);
  });

  test('sends a record to late() when its first window has closed, even if a later one is open', async () => {
    // watermark after batch 1: 12_000 − 5_000 = 7_000 → nothing closed ([0,10s) ends at 10s)
    // watermark after batch 2: 20_000 − 5_000 = 15_000 → [0,10s) and [5s,15s) closed
    const out = await run([[['a', 12_000]], [['a', 20_000]], [['a', 9_000]]], 'hopping');
    expect(out.late.flat()).toEqual([['a', 9_000]]);
  });
});

describe('sessionWindow (gap 3 s, lateness 5 s)', () => {
  test('merges records less than a gap apart and closes the session when the watermark passes', async () => {
    const out = await run(
      [
        [
          ['a', 1_000],
          ['a', 3_000],
        ],
        [
          ['a', 5_500],
          ['b', 2_000],
        ],
        [['a', 20_000]], // watermark 15_000: a's [1s, 8.5s) and b's [2s, 5s) close
      ],
      'session',
    );
    expect(out.windows.flat()).toEqual([
      ['b', { start: 2_000, end: 5_000, value: 1 }],
      ['a', { start: 1_000, end: 8_500, value: 3 }],
    ]);
  });

  test('bridges two open sessions with a record in between', async () => {
    const out = await run(
      [
        [
          ['a', 1_000],
          ['a', 6_000],
        ],
        [['a', 3_500]],
        [['a', 30_000]],
      ],
      'session',
    );
    expect(out.windows.flat()).toEqual([['a', { start: 1_000, end: 9_000, value: 3 }]]);
  });

  test('sends a record that would open an already closed session to late()', async () => {
    const out = await run(
      [
        [['a', 20_000]],
        [
          ['a', 10_000],
          ['a', 18_000],
        ],
      ],
      'session',
    );
    // watermark 15_000: a session 10_000..13_000 would be closed already; 18_000 joins the open one.
    expect(out.late.flat()).toEqual([['a', 10_000]]);
  });
});

/** Naive oracle: replay batches, judging each record against the watermark of the previous batches. */
function oracle(batches: Rec[][], lengthMs: number, slideMs: number, latenessMs: number) {
  let maxTs = Number.NEGATIVE_INFINITY;
  const accepted: Rec[] = [];
  const late: Rec[] = [];
  for (const batch of batches) {
    const wm = maxTs - latenessMs;
    for (const r of batch) {
      const firstStart = (Math.floor((r[1] - lengthMs) / slideMs) + 1) * slideMs;
      if (firstStart + lengthMs <= wm) late.push(r);
      else accepted.push(r);
    }
    for (const r of batch) if (!late.includes(r)) maxTs = Math.max(maxTs, r[1]);
  }
  const wm = maxTs - latenessMs;
  const windows = new Map<string, number>();
  for (const [k, ts] of accepted) {
    for (let s = (Math.floor((ts - lengthMs) / slideMs) + 1) * slideMs; s <= ts; s += slideMs) {
      if (s + lengthMs > wm) continue;
      const id = `${k}@${s}`;
      windows.set(id, (windows.get(id) ?? 0) + 1);
    }
  }
  return { windows, late };
}

const recordsArb = fc.array(
  fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 60_000 })), { maxLength: 6 }),
  { minLength: 1, maxLength: 12 },
);

describe('windowByEventTime against a naive oracle', () => {
  test('emits every closed window once with the count of its on-time records, and every late record', async () => {
    await fc.assert(
      fc.asyncProperty(
        recordsArb,
        fc.constantFrom([10_000, 10_000], [10_000, 5_000], [9_000, 3_000], [4_000, 4_000]),
        fc.integer({ min: 0, max: 20_000 }),
        async (batches, [lengthMs, slideMs], latenessMs) => {
          const fresh = batches.map((b) => b.map((r): Rec => [r[0], r[1]]));
          const out = await run(fresh, lengthMs === slideMs ? 'tumbling' : 'hopping', {
            lengthMs,
            slideMs,
            latenessMs,
            gapMs: 1,
          });
          const expected = oracle(fresh, lengthMs, slideMs, latenessMs);
          const got = new Map<string, number>();
          for (const [k, w] of out.windows.flat()) {
            const id = `${k}@${w.start}`;
            expect(got.has(id), `window ${id} emitted twice`).toBe(false);
            expect(w.end - w.start).toBe(lengthMs);
            got.set(id, w.value);
          }
          expect(got).toEqual(expected.windows);
          expect(out.late.flat()).toEqual(expected.late);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('event-time state survives a restore', () => {
  test('a run restored after batch k gives the same outputs as an uninterrupted run', async () => {
    await fc.assert(
      fc.asyncProperty(
        recordsArb,
        fc.nat(),
        fc.constantFrom<'tumbling' | 'hopping' | 'session'>('tumbling', 'hopping', 'session'),
        async (batches, cut, kind) => {
          const k = cut % (batches.length + 1);
          const whole = await run(batches, kind);
          const store = new MemoryStateStore();
          const first = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
          const out: Collected = { windows: [], late: [] };
          build(first.queueStream(batches), kind, out);
          await first.runBatches(k);
          if (k > 0) await store.save(first.checkpoint());
          const second = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
          build(second.queueStream(batches), kind, out);
          const saved = await store.load();
          if (saved !== undefined) second.restore(saved);
          await second.runBatches(batches.length - k);
          expect(out).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });
});

test('reducing() adapts a reduce function without identity', async () => {
  const ctx = new StreamingContext({ batchIntervalMs: 1000 });
  const got: unknown[] = [];
  ctx
    .queueStream<Rec>([
      [
        ['a', 1_000],
        ['a', 2_000],
      ],
      [['a', 30_000]],
    ])
    .windowByEventTime({
      lengthMs: 10_000,
      allowedLatenessMs: 0,
      time: (t) => t,
      aggregate: reducing(Math.max),
    })
    .foreachBatch((items) => {
      got.push(...items);
    });
  await ctx.runBatches(2);
  expect(got).toEqual([['a', { start: 0, end: 10_000, value: 2_000 }]]);
});
