import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interByteTimeoutFramer, type Frame } from '../../../hardware/framing/index.js';
import { bytesArb, seen } from './harness.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

describe('interByteTimeoutFramer', () => {
  it('ends a frame when the next chunk arrives after the gap, or on tick once the gap has passed', () => {
    const framer = interByteTimeoutFramer({ gapMs: 10 });
    expect(framer.push(h('0103'), 1000)).toEqual([]);
    expect(framer.push(h('02'), 1009)).toEqual([]);
    expect(framer.deadline()).toBe(1019);
    expect(framer.tick(1018)).toEqual([]);
    expect(seen(framer.tick(1019))).toEqual([['frame', '010302']]);
    expect(framer.deadline()).toBeUndefined();
    expect(framer.push(h('aa'), 2000)).toEqual([]);
    expect(seen(framer.push(h('bb'), 2010))).toEqual([['frame', 'aa']]);
    expect(seen(framer.flush())).toEqual([['frame', 'bb']]);
  });

  it('counts a chunk pushed without a time as part of the current burst', () => {
    const framer = interByteTimeoutFramer({ gapMs: 5 });
    framer.push(h('01'), 100);
    framer.push(h('02'));
    expect(seen(framer.tick(105))).toEqual([['frame', '0102']]);
  });

  it('reports a burst longer than maxLength as overflow pieces, and frames the next burst', () => {
    const framer = interByteTimeoutFramer({ gapMs: 5, maxLength: 3 });
    const out: Frame[] = [
      ...framer.push(h('0102030405060708'), 0),
      ...framer.push(h('09'), 100),
      ...framer.flush(),
    ];
    expect(seen(out)).toEqual([
      ['error', 'overflow', '010203'],
      ['error', 'overflow', '040506'],
      ['error', 'overflow', '0708'],
      ['frame', '09'],
    ]);
  });

  it('rejects a gap that is not positive', () => {
    expect(() => interByteTimeoutFramer({ gapMs: 0 })).toThrow(RangeError);
  });

  it('gives the same frames however each burst is split, with ticks in between', () => {
    const gapMs = 20;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            payload: bytesArb({ minLength: 1, maxLength: 40 }),
            cuts: fc.array(fc.nat(40), { maxLength: 6 }),
            // within a burst, pieces arrive closer together than the gap; a tick may come in between
            steps: fc.array(fc.integer({ min: 0, max: gapMs - 1 }), { minLength: 7, maxLength: 7 }),
            tickAfter: fc.array(fc.integer({ min: 0, max: gapMs - 1 }), { minLength: 7, maxLength: 7 }),
            silence: fc.integer({ min: gapMs, max: 5 * gapMs }),
          }),
          { maxLength: 8 },
        ),
        (bursts) => {
          const framer = interByteTimeoutFramer({ gapMs });
          const out: Frame[] = [];
          let now = 0;
          for (const burst of bursts) {
            const sorted = [...burst.cuts]
              .map((c) => Math.min(c, burst.payload.length))
              .sort((a, b) => a - b);
            const bounds = [0, ...sorted, burst.payload.length];
            const pieces = bounds
              .slice(1)
              .map((to, k) => burst.payload.subarray(bounds[k], to))
              .filter((p) => p.length);
            let tickAt = now;
            pieces.forEach((piece, k) => {
              // after the previous tick, and less than the gap after the previous piece
              if (k > 0) now = Math.max(now + (burst.steps[k] ?? 0), tickAt);
              out.push(...framer.push(piece, now));
              tickAt = now + (burst.tickAfter[k] ?? 0);
              out.push(...framer.tick(tickAt));
              expect(framer.deadline()).toBe(now + gapMs);
            });
            now += burst.silence;
            out.push(...framer.tick(now));
          }
          out.push(...framer.flush());
          expect(seen(out)).toEqual(bursts.map((b) => ['frame', b.payload.toString('hex')]));
        },
      ),
    );
  });

  it('holds at most maxLength bytes during an endless burst', () => {
    const framer = interByteTimeoutFramer({ gapMs: 5, maxLength: 256 });
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      framer.push(Buffer.alloc(77, i), i);
      peak = Math.max(peak, framer.bufferedBytes);
    }
    expect(peak).toBeLessThanOrEqual(256);
  });
});
