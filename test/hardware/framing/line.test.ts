import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineFramer, type LineEnding } from '../../../hardware/framing/index.js';
import { bytesArb, chunksAt, expectSplitInvariant, peakBuffered, run, seen, withCuts } from './harness.js';

const b = (text: string) => Buffer.from(text, 'latin1');
const hex = (text: string) => b(text).toString('hex');
const lines = (...texts: string[]) => texts.map((t) => ['frame', hex(t)]);

describe('lineFramer', () => {
  const table: [LineEnding, string, string[]][] = [
    ['auto', 'a\nb\r\nc\rd\n', ['a', 'b', 'c', 'd']],
    ['auto', '\r\n\r\nx\n\n', ['x']],
    ['auto', 'a\n\rb\r', ['a', 'b']],
    ['lf', 'a\nb\r\nc\rd\n', ['a', 'b', 'c\rd']],
    ['lf', 'a\r\r\n', ['a\r']],
    ['crlf', 'a\nb\r\nc\rd\r\n', ['a\nb', 'c\rd']],
    ['crlf', 'x\r\r\r\n', ['x\r\r']],
    ['cr', 'a\rb\nc\r', ['a', 'b\nc']],
  ];
  it.each(table)('ends lines in %s mode: %j', (eol, input, expected) => {
    const whole = expectSplitInvariant(() => lineFramer({ eol }), b(input));
    expect(whole).toEqual(lines(...expected));
  });

  it('hands out a line that lies whole in its chunk as a view of the chunk, and a split one as a copy', () => {
    const framer = lineFramer();
    const first = Buffer.alloc(11, '12,a\n34,b\n5'); // not from Buffer's shared pool, as copies are
    const frames = framer.push(first);
    expect(frames.map((f) => (f.kind === 'frame' ? f.data.toString() : f.kind))).toEqual(['12,a', '34,b']);
    for (const f of frames) expect(f.kind === 'frame' && f.data.buffer === first.buffer).toBe(true);
    const [split] = framer.push(b('6,c\n'));
    expect(split?.kind === 'frame' && split.data.toString()).toBe('56,c');
    expect(split?.kind === 'frame' && split.data.buffer === first.buffer).toBe(false);
  });

  it('returns empty lines when skipEmpty is off', () => {
    expect(seen(run(lineFramer({ skipEmpty: false }), [b('a\n\nb\r\n\r\n')]))).toEqual(
      lines('a', '', 'b', ''),
    );
  });

  it('frames a line of exactly maxLength and reports a longer one as overflow pieces', () => {
    const framer = () => lineFramer({ maxLength: 4 });
    expect(seen(run(framer(), [b('abcd\n')]))).toEqual(lines('abcd'));
    const whole = expectSplitInvariant(framer, b('abcdefghij\nok\n'));
    expect(whole).toEqual([
      ['error', 'overflow', hex('abcd')],
      ['error', 'overflow', hex('efgh')],
      ['error', 'overflow', hex('ij')],
      ['frame', hex('ok')],
    ]);
  });

  it('keeps a held CR counted within maxLength in crlf mode', () => {
    const whole = expectSplitInvariant(() => lineFramer({ eol: 'crlf', maxLength: 2 }), b('ab\r\nab\rc\r\n'));
    expect(whole).toEqual([
      ['frame', hex('ab')],
      ['error', 'overflow', hex('ab')],
      ['error', 'overflow', hex('\rc')],
    ]);
  });

  it('reports an unterminated last line as truncated on flush, and reset drops it silently', () => {
    expect(seen(run(lineFramer(), [b('a\npart')]))).toEqual([
      ['frame', hex('a')],
      ['error', 'truncated', hex('part')],
    ]);
    expect(seen(run(lineFramer({ eol: 'crlf' }), [b('x\r')]))).toEqual([['error', 'truncated', hex('x\r')]]);
    const framer = lineFramer();
    framer.push(b('stale'));
    framer.reset();
    expect(framer.bufferedBytes).toBe(0);
    expect(seen(run(framer, [b('fresh\n')]))).toEqual(lines('fresh'));
  });

  const lineText = fc.string({ unit: fc.constantFrom(...'abc,=$*0123456789 \t'.split('')), maxLength: 30 });
  const eolText = fc.constantFrom('\n', '\r\n', '\r');

  it('gives the same lines however the stream is split (random lines, random ends of line)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lineText, eolText), { maxLength: 12 }),
        fc.array(fc.nat(400), { maxLength: 10 }),
        (parts, cuts) => {
          const bytes = b(parts.map(([text, eol]) => text + eol).join(''));
          const expected = lines(...parts.map(([text]) => text).filter((t) => t !== ''));
          expect(seen(run(lineFramer(), chunksAt(bytes, cuts)))).toEqual(expected);
        },
      ),
    );
  });

  it('accounts for every byte of arbitrary input as a line, an error or an end of line (auto)', () => {
    fc.assert(
      fc.property(withCuts(bytesArb({ maxLength: 300 })), ([bytes, cuts]) => {
        const frames = run(lineFramer({ maxLength: 16 }), chunksAt(bytes, cuts));
        expect(seen(frames)).toEqual(seen(run(lineFramer({ maxLength: 16 }), [bytes])));
        const kept = frames.reduce((n, f) => n + (f.kind === 'frame' ? f.data.length : f.raw.length), 0);
        const eols = bytes.filter((x) => x === 0x0a || x === 0x0d).length;
        expect(kept).toBe(bytes.length - eols);
      }),
    );
  });

  it.each<[LineEnding, string]>([
    ['auto', '\n'],
    ['lf', '\n'],
    ['crlf', '\r\n'],
    ['cr', '\r'],
  ])('never lets garbage hide the valid line after the next end of line (%s)', (eol, end) => {
    fc.assert(
      fc.property(bytesArb({ maxLength: 200 }), fc.array(fc.nat(300), { maxLength: 8 }), (garbage, cuts) => {
        const bytes = Buffer.concat([garbage, b(end), b('$GPGGA,ok'), b(end)]);
        const frames = run(lineFramer({ eol, maxLength: 32 }), chunksAt(bytes, cuts));
        expect(seen(frames).at(-1)).toEqual(['frame', hex('$GPGGA,ok')]);
      }),
    );
  });

  it('holds at most maxLength bytes whatever garbage arrives', () => {
    const framer = lineFramer({ maxLength: 256 });
    const junk = Buffer.alloc(1000, 0x41);
    expect(peakBuffered(framer, () => junk, 1_000_000)).toBeLessThanOrEqual(256);
    fc.assert(
      fc.property(fc.array(bytesArb({ maxLength: 600 }), { maxLength: 20 }), (chunks) => {
        const f = lineFramer({ eol: 'crlf', maxLength: 64 });
        for (const chunk of chunks) {
          f.push(chunk);
          expect(f.bufferedBytes).toBeLessThanOrEqual(65);
        }
      }),
    );
  });
});
