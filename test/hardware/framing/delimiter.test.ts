import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delimiterFramer } from '../../../hardware/framing/index.js';
import { bytesArb, chunksAt, expectSplitInvariant, peakBuffered, run, seen } from './harness.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

describe('delimiterFramer', () => {
  it('cuts at a one-byte delimiter', () => {
    expect(
      expectSplitInvariant(() => delimiterFramer({ delimiter: [0x7e] }), h('01 02 7e 03 7e 7e 04 7e')),
    ).toEqual([
      ['frame', '0102'],
      ['frame', '03'],
      ['frame', '04'],
    ]);
  });

  it('matches a multi-byte delimiter across chunk boundaries, including after a partial match', () => {
    // "aab" with delimiter "ab": the first "a" falls back into the frame.
    expect(
      expectSplitInvariant(() => delimiterFramer({ delimiter: 'ab' }), Buffer.from('xaabyabab')),
    ).toEqual([
      ['frame', Buffer.from('xa').toString('hex')],
      ['frame', Buffer.from('y').toString('hex')],
    ]);
    // A self-overlapping delimiter: "aab" inside "aaab".
    expect(
      expectSplitInvariant(() => delimiterFramer({ delimiter: 'aab' }), Buffer.from('1aaab2aab')),
    ).toEqual([
      ['frame', Buffer.from('1a').toString('hex')],
      ['frame', Buffer.from('2').toString('hex')],
    ]);
  });

  it('keeps empty frames when asked and reports a partial delimiter at the end as truncated', () => {
    expect(seen(run(delimiterFramer({ delimiter: [0], skipEmpty: false }), [h('00 01 00')]))).toEqual([
      ['frame', ''],
      ['frame', '01'],
    ]);
    expect(seen(run(delimiterFramer({ delimiter: '\r\n>' }), [Buffer.from('ok\r\n')]))).toEqual([
      ['error', 'truncated', Buffer.from('ok\r\n').toString('hex')],
    ]);
  });

  it('reports an overlong frame as overflow pieces and resumes at the next delimiter', () => {
    expect(
      expectSplitInvariant(
        () => delimiterFramer({ delimiter: '||', maxLength: 3 }),
        Buffer.from('abcdefg|h||ok||'),
      ),
    ).toEqual([
      ['error', 'overflow', Buffer.from('abc').toString('hex')],
      ['error', 'overflow', Buffer.from('def').toString('hex')],
      ['error', 'overflow', Buffer.from('g|h').toString('hex')],
      ['frame', Buffer.from('ok').toString('hex')],
    ]);
  });

  it('rejects an empty delimiter', () => {
    expect(() => delimiterFramer({ delimiter: '' })).toThrow(RangeError);
  });

  // Delimiters with no border (no proper prefix that is also a suffix): for these, noise before a delimiter can
  // never complete a match that steals bytes from the next frame.
  const delimiters = [h('7e'), h('0d0a'), h('ff00fe'), Buffer.from('END')];

  it('gives the same frames however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...delimiters),
        fc.array(bytesArb({ maxLength: 20 }), { maxLength: 10 }),
        fc.array(fc.nat(300), { maxLength: 10 }),
        (delimiter, payloads, cuts) => {
          const frames = payloads.filter((p) => p.length > 0 && !p.includes(delimiter));
          const bytes = Buffer.concat(frames.flatMap((p) => [p, delimiter]));
          const got = seen(run(delimiterFramer({ delimiter }), chunksAt(bytes, cuts)));
          expect(got).toEqual(frames.map((p) => ['frame', p.toString('hex')]));
        },
      ),
    );
  });

  it('never lets garbage hide the frame after the next delimiter', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...delimiters),
        bytesArb({ maxLength: 200 }),
        fc.array(fc.nat(300), { maxLength: 8 }),
        (delimiter, garbage, cuts) => {
          const bytes = Buffer.concat([garbage, delimiter, Buffer.from('valid'), delimiter]);
          const frames = run(delimiterFramer({ delimiter, maxLength: 32 }), chunksAt(bytes, cuts));
          expect(seen(frames).at(-1)).toEqual(['frame', Buffer.from('valid').toString('hex')]);
          expect(seen(frames)).toEqual(seen(run(delimiterFramer({ delimiter, maxLength: 32 }), [bytes])));
        },
      ),
    );
  });

  it('holds at most maxLength plus a partial delimiter whatever garbage arrives', () => {
    const framer = delimiterFramer({ delimiter: 'ENDX', maxLength: 100 });
    expect(
      peakBuffered(framer, (i) => Buffer.from(i % 2 ? 'ENDENDEN' : 'garbage!'), 500_000),
    ).toBeLessThanOrEqual(103);
  });
});
