// updateStateByKey against a naive StateDStream (a fresh state map per batch, as Spark's), on random batches where
// keys are created, kept untouched, updated, removed and come back, also in the batch that removes them.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { StreamingContext } from '../../operators/index.js';

type Pair = [string, number];
interface Call {
  key: string;
  values: number[];
  state: number | undefined;
}

// The state is a running sum; a key is removed when the sum is a multiple of 7, or when idle with an odd sum.
function step(values: readonly number[], state: number | undefined): number | undefined {
  if (values.length === 0) return state !== undefined && state % 2 !== 0 ? undefined : state;
  const next = (state ?? 0) + values.reduce((a, b) => a + b, 0);
  return next % 7 === 0 ? undefined : next;
}

/** Spark's StateDStream: every key with a state (in state order), then every new key (first-seen order). */
function naive(input: (Pair[] | null)[], batches: number): { out: Pair[][]; calls: Call[][] } {
  let states = new Map<string, number>();
  const out: Pair[][] = [];
  const calls: Call[][] = [];
  let started = false;
  for (let i = 0; i < batches; i++) {
    const batch = input[i] ?? (i < input.length ? null : []);
    if (!started && batch === null) continue;
    started = true;
    const groups = new Map<string, number[]>();
    for (const [k, v] of batch ?? []) groups.set(k, [...(groups.get(k) ?? []), v]);
    const next = new Map<string, number>();
    const seen: Call[] = [];
    for (const [key, state] of states) {
      const values = groups.get(key) ?? [];
      seen.push({ key, values, state });
      const s = step(values, state);
      if (s !== undefined) next.set(key, s);
    }
    for (const [key, values] of groups) {
      if (states.has(key)) continue;
      seen.push({ key, values, state: undefined });
      const s = step(values, undefined);
      if (s !== undefined) next.set(key, s);
    }
    states = next;
    out.push([...states]);
    calls.push(seen);
  }
  return { out, calls };
}

const inputArb = fc.array(
  fc.oneof(
    fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: -3, max: 9 })), {
      maxLength: 8,
    }),
    fc.constant(null),
  ),
  { maxLength: 15 },
);

describe('updateStateByKey', () => {
  test('calls the function and outputs the states as a naive StateDStream does, keys churning', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, async (input) => {
        const batches = input.length + 2;
        const ctx = new StreamingContext({ batchIntervalMs: 1000 });
        const out: Pair[][] = [];
        const calls: Call[][] = [];
        let current: Call[] = [];
        ctx
          .queueStream(input, { oneAtATime: true, defaultBatch: [] })
          .updateStateByKey<string, number, number>((values, state, { key }) => {
            current.push({ key, values: [...values], state });
            return step(values, state);
          })
          .foreachBatch((items) => {
            out.push(items.map(([k, s]): Pair => [k, s]));
            calls.push(current);
            current = [];
          });
        await ctx.runBatches(batches);
        const expected = naive(input, batches);
        expect(out).toEqual(expected.out);
        expect(calls).toEqual(expected.calls);
      }),
      { numRuns: 300 },
    );
  });

  test('gives an idle key an empty values array it cannot grow by mistake', async () => {
    const ctx = new StreamingContext({ batchIntervalMs: 1000 });
    const seen: number[][] = [];
    ctx
      .queueStream<Pair>([[['a', 1]], []])
      .updateStateByKey<string, number, number>((values, state) => {
        seen.push(values);
        return (state ?? 0) + values.length;
      })
      .foreachBatch(() => undefined);
    await ctx.runBatches(2);
    expect(seen.map((v) => v.length)).toEqual([1, 0]);
    expect(Object.isFrozen(seen[1])).toBe(true);
  });
});
