import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slipEncode, slipFramer } from '../../../hardware/framing/index.js';
import { bytesArb, chunksAt, expectSplitInvariant, peakBuffered, run, seen } from './harness.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

describe('slipFramer', () => {
  it('unescapes ESC_END and ESC_ESC and drops empty frames between ENDs (RFC 1055)', () => {
    expect(expectSplitInvariant(() => slipFramer(), h('c0 01 db dc 02 db dd 03 c0 c0 c0 04 c0'))).toEqual([
      ['frame', '01c002db03'],
      ['frame', '04'],
    ]);
  });

  it('round-trips slipEncode', () => {
    expect(slipEncode(h('c0 db 00'))).toEqual(h('c0 db dc db dd 00 c0'));
    expect(slipEncode(h('01'), { leadingEnd: false })).toEqual(h('01 c0'));
  });

  it('reports a bad escape as an error with the raw bytes, and frames the next one', () => {
    expect(expectSplitInvariant(() => slipFramer(), h('c0 01 db 41 02 c0 05 db c0 06 c0'))).toEqual([
      ['error', 'bad-escape', '01db4102'],
      ['error', 'bad-escape', '05db'],
      ['frame', '06'],
    ]);
  });

  it('counts maxLength on unescaped bytes', () => {
    const framer = () => slipFramer({ maxLength: 2 });
    expect(seen(run(framer(), [h('c0 db dc db dd c0')]))).toEqual([['frame', 'c0db']]);
    expect(seen(run(framer(), [h('c0 01 02 03 c0 04 c0')]))).toEqual([
      ['error', 'overflow', '010203'],
      ['frame', '04'],
    ]);
  });

  it('reports an unterminated frame as truncated on flush', () => {
    expect(seen(run(slipFramer(), [h('c0 01 02')]))).toEqual([['error', 'truncated', '0102']]);
  });

  it('decodes any payloads however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(bytesArb({ minLength: 1, maxLength: 30 }), { maxLength: 10 }),
        fc.array(fc.nat(700), { maxLength: 10 }),
        (payloads, cuts) => {
          const bytes = Buffer.concat(payloads.map((p) => slipEncode(p)));
          expect(seen(run(slipFramer(), chunksAt(bytes, cuts)))).toEqual(
            payloads.map((p) => ['frame', p.toString('hex')]),
          );
        },
      ),
    );
  });

  it('never lets garbage hide a frame that starts with END', () => {
    fc.assert(
      fc.property(
        bytesArb({ maxLength: 300 }),
        bytesArb({ minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(400), { maxLength: 8 }),
        (garbage, payload, cuts) => {
          const bytes = Buffer.concat([garbage, slipEncode(payload)]);
          const frames = run(slipFramer({ maxLength: 64 }), chunksAt(bytes, cuts));
          expect(seen(frames).at(-1)).toEqual(['frame', payload.toString('hex')]);
        },
      ),
    );
  });

  it('holds at most twice maxLength escaped bytes whatever garbage arrives', () => {
    expect(
      peakBuffered(slipFramer({ maxLength: 50 }), () => h('db'.repeat(64)), 200_000),
    ).toBeLessThanOrEqual(100);
  });
});
