// SlidingAggregator (two stacks) against naive recomputation over the live panes, with an order-sensitive
// aggregate so any reordering shows, and a count of merges so a per-slide cost growing with the window shows.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compileAggregateSet,
  SlidingAggregator,
  type Mergeable,
} from '../../../operators/aggregates/index.js';
import { viaJSON } from './oracles.js';

// Concatenation: associative, not commutative, and its result shows every pane in order.
function concat(): Mergeable<readonly number[]> & { merges: number } {
  return {
    merges: 0,
    init: () => [],
    merge(a, b) {
      this.merges++;
      return [...a, ...b];
    },
    toJSON: (p) => [...p],
    fromJSON(j) {
      if (!Array.isArray(j) || !j.every((x) => typeof x === 'number')) throw new Error('not a list');
      return j;
    },
  };
}

type Op = { push: number[] } | 'evict' | 'query';
const opsArb: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ push: fc.array(fc.integer({ min: 0, max: 999 }), { maxLength: 3 }) }),
    },
    { weight: 3, arbitrary: fc.constant('evict' as const) },
    { weight: 3, arbitrary: fc.constant('query' as const) },
  ),
  { maxLength: 200 },
);

describe('SlidingAggregator', () => {
  test('answers every query like a naive merge of the live panes, oldest first', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const window = new SlidingAggregator(concat());
        const live: number[][] = [];
        for (const op of ops) {
          if (op === 'evict') {
            if (live.length === 0) continue;
            window.evict();
            live.shift();
          } else if (op === 'query') {
            expect(window.query()).toEqual(live.flat());
          } else {
            window.push(op.push);
            live.push(op.push);
          }
          expect(window.size).toBe(live.length);
        }
        expect(window.query()).toEqual(live.flat());
      }),
    );
  });

  test('costs at most two merges per operation, however long the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 300 }), (length, slides) => {
        const agg = concat();
        const window = new SlidingAggregator(agg);
        let ops = 0;
        for (let i = 0; i < slides; i++) {
          window.push([i]);
          ops++;
          if (window.size > length) {
            window.evict();
            ops++;
          }
          window.query();
          ops++;
        }
        expect(agg.merges).toBeLessThanOrEqual(2 * ops);
      }),
    );
  });

  test('gives AggregateSet results equal to aggregating the records of the live panes directly', () => {
    const set = compileAggregateSet({
      n: 'count()',
      first: 'first(v)',
      last: 'last(v)',
      max: 'max(v)',
      p50: 'p50(v)',
    });
    const paneArb = fc.array(
      fc.record({ v: fc.integer({ min: -20, max: 20 }), ts: fc.integer({ min: 0, max: 5 }) }),
      {
        maxLength: 4,
      },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(paneArb, fc.constant('evict' as const)), { maxLength: 60 }), (ops) => {
        const window = new SlidingAggregator(set);
        const live: { v: number; ts: number }[][] = [];
        for (const op of ops) {
          if (op === 'evict') {
            if (live.length === 0) continue;
            window.evict();
            live.shift();
          } else {
            window.push(op.reduce((s, r) => set.add(s, { v: r.v }, r.ts), set.init()));
            live.push(op);
          }
          const direct = live.flat().reduce((s, r) => set.add(s, { v: r.v }, r.ts), set.init());
          expect(set.result(window.query())).toEqual(set.result(direct));
        }
      }),
    );
  });

  test('restores from JSON mid-stream and then behaves exactly like the original', () => {
    fc.assert(
      fc.property(opsArb, opsArb, (before, after) => {
        const agg = concat();
        const original = new SlidingAggregator(agg);
        const run = (w: SlidingAggregator<readonly number[]>, ops: Op[]): unknown[] =>
          ops.map((op) => {
            if (op === 'evict') {
              if (w.size > 0) w.evict();
              return w.size;
            }
            if (op === 'query') return w.query();
            w.push(op.push);
            return w.size;
          });
        run(original, before);
        const restored = SlidingAggregator.fromJSON(agg, viaJSON(original.toJSON()));
        expect(restored.size).toBe(original.size);
        expect(restored.toJSON()).toEqual(original.toJSON());
        expect(run(restored, after)).toEqual(run(original, after));
      }),
    );
  });

  test('returns a fresh state from query, so mutating it leaves the window alone', () => {
    const set = compileAggregateSet({ n: 'count()' });
    const window = new SlidingAggregator(set);
    window.push(set.add(set.init(), {}, 0));
    set.add(window.query(), {}, 0);
    expect(set.result(window.query())).toEqual({ n: 1 });
    window.evict();
    expect(set.result(window.query())).toEqual({ n: 0 });
  });

  test('refuses to evict from an empty window and to restore garbage', () => {
    const window = new SlidingAggregator(concat());
    expect(() => {
      window.evict();
    }).toThrow('SlidingAggregator.evict: the window holds no pane');
    for (const garbage of [null, [], { v: 1, front: [] }, { v: 2, front: [], back: [] }]) {
      expect(() => SlidingAggregator.fromJSON(concat(), garbage)).toThrow(
        'sliding window state: expected { v: 1, front: [...], back: [...] }, got ',
      );
    }
    expect(() => SlidingAggregator.fromJSON(concat(), { v: 1, front: [['x']], back: [] })).toThrow(
      'not a list',
    );
  });
});
