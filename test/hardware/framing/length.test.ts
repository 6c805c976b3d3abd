import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lengthFramer, type LengthFramerOptions } from '../../../hardware/framing/index.js';
import { bytesArb, chunksAt, expectSplitInvariant, peakBuffered, run, seen } from './harness.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

function encode(payload: Buffer, o: LengthFramerOptions): Buffer {
  const size = o.prefixBytes ?? 2;
  const prefix = Buffer.alloc(size);
  const n = payload.length + (o.lengthIncludesPrefix === true ? size : 0);
  const little = o.byteOrder === 'little';
  // written independently of the framer: by hand, most significant byte first, then reversed if little-endian
  const be = Array.from({ length: size }, (_, i) => Math.floor(n / 256 ** (size - 1 - i)) % 256);
  prefix.set(little ? be.reverse() : be);
  const preamble = o.preamble === undefined ? Buffer.alloc(0) : Buffer.from(o.preamble);
  return Buffer.concat([preamble, prefix, payload]);
}

describe('lengthFramer', () => {
  it.each<[string, LengthFramerOptions, string, string[]]>([
    ['2-byte big-endian (default)', {}, '0002 aabb 0001 cc', ['aabb', 'cc']],
    ['1-byte', { prefixBytes: 1 }, '02 aabb 01 cc', ['aabb', 'cc']],
    ['2-byte little-endian', { byteOrder: 'little' }, '0200 aabb', ['aabb']],
    ['4-byte big-endian', { prefixBytes: 4 }, '00000003 010203', ['010203']],
    ['4-byte little-endian', { prefixBytes: 4, byteOrder: 'little' }, '01000000 ff', ['ff']],
    ['length counting the prefix', { prefixBytes: 1, lengthIncludesPrefix: true }, '03 aabb', ['aabb']],
    [
      'with a preamble',
      { prefixBytes: 1, preamble: [0xaa, 0x55] },
      'aa55 02 0102 aa55 01 03',
      ['0102', '03'],
    ],
  ])('frames %s', (_name, options, input, expected) => {
    expect(expectSplitInvariant(() => lengthFramer(options), h(input))).toEqual(
      expected.map((x) => ['frame', x]),
    );
  });

  it('slides past lengths out of range and reports the skipped bytes as one garbage error', () => {
    const whole = expectSplitInvariant(
      () => lengthFramer({ prefixBytes: 1, maxLength: 8 }),
      h('ff fe 00 02 aabb'),
    );
    expect(whole).toEqual([
      ['error', 'garbage', 'fffe00'],
      ['frame', 'aabb'],
    ]);
  });

  it('hunts for the preamble after noise', () => {
    // 'S' ff reads as a 255-byte payload, out of range with maxLength 16, so the framer slides on.
    expect(
      expectSplitInvariant(
        () => lengthFramer({ prefixBytes: 1, preamble: 'S', maxLength: 16 }),
        h('01 02 53 ff 53 01 07'),
      ),
    ).toEqual([
      ['error', 'garbage', '010253ff'],
      ['frame', '07'],
    ]);
  });

  it('reports what is left at the end of the stream as truncated', () => {
    expect(seen(run(lengthFramer(), [h('0005 0102')]))).toEqual([['error', 'truncated', '00050102']]);
  });

  it('chops endless garbage into bounded errors and holds at most header + maxLength bytes', () => {
    const framer = lengthFramer({ prefixBytes: 2, maxLength: 64, preamble: [0xaa] });
    const peak = peakBuffered(framer, () => Buffer.alloc(97, 0x11), 100_000);
    expect(peak).toBeLessThanOrEqual(1 + 2 + 64 + 64);
    const frames = run(lengthFramer({ prefixBytes: 1, maxLength: 4 }), [Buffer.alloc(20, 0xff)]);
    expect(seen(frames)).toEqual([
      ['error', 'garbage', 'ff'.repeat(4)],
      ['error', 'garbage', 'ff'.repeat(4)],
      ['error', 'garbage', 'ff'.repeat(4)],
      ['error', 'garbage', 'ff'.repeat(4)],
      ['error', 'garbage', 'ff'.repeat(4)],
    ]);
  });

  const optionsArb = fc.record({
    prefixBytes: fc.constantFrom<1 | 2 | 4>(1, 2, 4),
    byteOrder: fc.constantFrom<'big' | 'little'>('big', 'little'),
    lengthIncludesPrefix: fc.boolean(),
  });

  it('gives the same frames however the stream is split', () => {
    fc.assert(
      fc.property(
        optionsArb,
        fc.array(bytesArb({ minLength: 1, maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(400), { maxLength: 10 }),
        (options, payloads, cuts) => {
          const bytes = Buffer.concat(payloads.map((p) => encode(p, options)));
          expect(seen(run(lengthFramer(options), chunksAt(bytes, cuts)))).toEqual(
            payloads.map((p) => ['frame', p.toString('hex')]),
          );
        },
      ),
    );
  });

  it('never lets garbage that reads as no valid length hide the next frame', () => {
    // A 1-byte prefix with maxLength 100: garbage bytes above 100 can never start a frame.
    const options: LengthFramerOptions = { prefixBytes: 1, maxLength: 100 };
    fc.assert(
      fc.property(
        fc.uint8Array({ min: 101, max: 255, maxLength: 300 }).map((a) => Buffer.from(a)),
        bytesArb({ minLength: 1, maxLength: 100 }),
        fc.array(fc.nat(500), { maxLength: 8 }),
        (garbage, payload, cuts) => {
          const bytes = Buffer.concat([garbage, encode(payload, options)]);
          const frames = seen(run(lengthFramer(options), chunksAt(bytes, cuts)));
          expect(frames.at(-1)).toEqual(['frame', payload.toString('hex')]);
          expect(frames.slice(0, -1).every((f) => f[0] === 'error' && f[1] === 'garbage')).toBe(true);
        },
      ),
    );
  });

  it('with a preamble, never lets garbage without the preamble byte hide the next frame', () => {
    const options: LengthFramerOptions = { prefixBytes: 2, preamble: [0xaa, 0x55], maxLength: 50 };
    fc.assert(
      fc.property(
        bytesArb({ maxLength: 300 }).map((g) => Buffer.from(g.filter((x) => x !== 0xaa))),
        bytesArb({ minLength: 1, maxLength: 50 }),
        fc.array(fc.nat(500), { maxLength: 8 }),
        (garbage, payload, cuts) => {
          const frames = seen(
            run(lengthFramer(options), chunksAt(Buffer.concat([garbage, encode(payload, options)]), cuts)),
          );
          expect(frames.at(-1)).toEqual(['frame', payload.toString('hex')]);
        },
      ),
    );
  });
});
