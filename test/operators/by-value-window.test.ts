// Sliding aggregateByKeyAndWindow over an Aggregator whose partial is a plain object of numbers keeps partials
// by value in typed arrays (by-value-columns.ts). Against the generic per-key path (the same aggregator over
// class instances, which are kept as objects): the same outputs in the same order, bit for bit, with keys
// churning, partials that stop fitting (an added field, a non-number), and across a checkpoint after any batch.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MemoryStateStore, StreamingContext, type Aggregator, type DStream } from '../../operators/index.js';

type Rec = { key: string; v: number };
type Out = [string, string][][];
type Partial = { n: number; sum: number; max: number; note?: string };

class Boxed {
  n = 0;
  sum = 0;
  max = -Infinity;
  note?: string;
}

const num = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

/** count/sum/max over values; `plain`: partials are object literals (by value), else Boxed instances (generic).
 * A value of 7 adds a `note` field and a value of 13 makes `sum` a string: such partials no longer fit. */
function aggregator(plain: boolean): Aggregator<number, Partial, string> {
  const make = (n: number, sum: number, max: number): Partial => {
    if (plain) return { n, sum, max };
    const b = new Boxed();
    Object.assign(b, { n, sum, max });
    return b;
  };
  const odd = (p: Partial, q?: Partial): void => {
    const note = [p.note, q?.note].filter((x) => x !== undefined).join('+');
    if (note !== '') p.note = note;
  };
  return {
    init: () => make(0, 0, -Infinity),
    add: (p, v) => {
      p.n++;
      p.sum = v === 13 ? (`${String(p.sum)}!` as unknown as number) : p.sum + v;
      if (v > p.max) p.max = v;
      if (v === 7) p.note = `${p.note ?? ''}7`;
      return p;
    },
    // init() is the identity of merge (the Aggregator contract), so an empty side gives the other one.
    merge: (a, b) => {
      if (a.n === 0 || b.n === 0) {
        const p = a.n === 0 ? b : a;
        const out = make(p.n, p.sum, p.max);
        odd(out, p);
        return out;
      }
      const sum =
        typeof a.sum === 'string' || typeof b.sum === 'string'
          ? (`${String(a.sum)}|${String(b.sum)}` as unknown as number)
          : a.sum + b.sum;
      const out = make(a.n + b.n, sum, Math.max(a.max, b.max));
      odd(out, a);
      odd(out, b);
      return out;
    },
    result: (p) => `${String(p.n)}/${String(p.sum)}/${String(p.max)}/${p.note ?? ''}`,
    // Numbers as text, so Infinity and −0 survive JSON; a string sum is marked as one.
    toJSON: (p) => ({
      n: p.n,
      sum: typeof p.sum === 'number' ? num(p.sum) : ['s', p.sum],
      max: num(p.max),
      note: p.note ?? null,
    }),
    fromJSON: (j) => {
      const o = j as { n: number; sum: string | [string, string]; max: string; note: string | null };
      const sum = Array.isArray(o.sum) ? (o.sum[1] as unknown as number) : Number(o.sum);
      const p = make(o.n, sum, Number(o.max));
      if (o.note !== null) p.note = o.note;
      return p;
    },
  };
}

const recArb = fc.record({
  key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  v: fc.oneof(
    fc.integer({ min: -20, max: 20 }),
    fc.double({ min: -1000, max: 1000, noNaN: true }),
    fc.constantFrom(-0, 7, 13, Infinity),
  ),
});
const inputArb = fc.array(fc.oneof(fc.array(recArb, { maxLength: 8 }), fc.constant(null)), { maxLength: 18 });
const windowArb = fc.constantFrom([2, 1], [3, 1], [4, 2], [6, 2], [6, 3], [5, 1], [6, 4], [4, 6]);

function build(input: DStream<Rec>, plain: boolean, w: number, s: number, out: Out): void {
  input
    .mapToPair((r): [string, number] => [r.key, r.v])
    .aggregateByKeyAndWindow(aggregator(plain), w * 1000, s * 1000)
    .named('agg')
    .foreachBatch((items) => {
      out.push(items.slice());
    });
}

const queue = (ctx: StreamingContext, input: (Rec[] | null)[]) =>
  ctx.queueStream(input, { oneAtATime: true, defaultBatch: [] });

describe('sliding aggregateByKeyAndWindow over plain-object partials (kept by value)', () => {
  test('gives the outputs of the generic path, in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, windowArb, async (input, [w, s]) => {
        const run = async (plain: boolean): Promise<Out> => {
          const ctx = new StreamingContext({ batchIntervalMs: 1000 });
          const out: Out = [];
          build(queue(ctx, input), plain, w, s, out);
          await ctx.runBatches(input.length + w + 2);
          return out;
        };
        expect(await run(true)).toEqual(await run(false));
      }),
      { numRuns: 300 },
    );
  });

  test('gives the same outputs when restored from a checkpoint after any batch', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, windowArb, fc.nat(), async (input, [w, s], cut) => {
        const numBatches = input.length + w + 2;
        const k = cut % (numBatches + 1);
        const whole: Out = [];
        const a = new StreamingContext({ batchIntervalMs: 1000 });
        build(queue(a, input), false, w, s, whole);
        await a.runBatches(numBatches);

        const out: Out = [];
        const store = new MemoryStateStore();
        const first = new StreamingContext({ batchIntervalMs: 1000 });
        build(queue(first, input), true, w, s, out);
        await first.runBatches(k);
        const checkpoint = first.checkpoint();
        expect(checkpoint.operators.agg?.signature).toBe(
          `aggregateByKeyAndWindow(${w * 1000},${s * 1000},by-value)`,
        );
        await store.save(checkpoint);
        const second = new StreamingContext({ batchIntervalMs: 1000 });
        build(queue(second, input), true, w, s, out);
        second.restore((await store.load()) ?? expect.unreachable());
        await second.runBatches(numBatches - k);
        expect(out).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  test('matches the generic path when thousands of keys come and go (slots are recycled)', async () => {
    const input = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: b % 3 === 0 ? 3000 : 7 }, (_, i): Rec => ({
        key: `k${String(b * 1000 + i)}`,
        v: (i % 37) / 10,
      })),
    );
    for (const [w, s] of [
      [3, 1],
      [4, 2],
    ] as const) {
      const run = async (plain: boolean): Promise<Out> => {
        const ctx = new StreamingContext({ batchIntervalMs: 1000 });
        const out: Out = [];
        build(ctx.queueStream(input), plain, w, s, out);
        await ctx.runBatches(input.length + w + 1);
        return out;
      };
      expect(await run(true)).toEqual(await run(false));
    }
  });

  test('hands result a partial of its own: a result keeping its argument sees no later change', async () => {
    const kept: { n: number }[] = [];
    const agg: Aggregator<number, { n: number }, { n: number }> = {
      init: () => ({ n: 0 }),
      add: (p, v) => {
        p.n += v;
        return p;
      },
      merge: (a, b) => ({ n: a.n + b.n }),
      result: (p) => {
        kept.push(p);
        return p;
      },
    };
    const ctx = new StreamingContext({ batchIntervalMs: 1000 });
    ctx
      .queueStream([[['a', 1]], [['a', 2]], [['a', 4]]] as [string, number][][])
      .aggregateByKeyAndWindow(agg, 2000, 1000)
      .foreachBatch(() => undefined);
    await ctx.runBatches(4);
    expect(kept.map((p) => p.n)).toEqual([1, 3, 6, 4]);
  });
});
