import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvDecoder, decodeCsvLine, decodeCsvPayload, splitCsvLine } from '../../../hardware/codecs/csv.js';
import { parseNumber, parseNumberBytes, utf8Text } from '../../../hardware/codecs/text.js';

const line = (text: string) => Buffer.from(text);

describe('csvDecoder', () => {
  it('learns the columns from the first line and decodes the rest with them', () => {
    const csv = csvDecoder({ header: true });
    expect(csv.decode(line('\uFEFFts, sensor ,temp\r\n'))).toBeNull();
    expect(csv.decode(line('1700000000,boiler,"21,5"'))).toEqual({
      ok: true,
      fields: { ts: 1_700_000_000, sensor: 'boiler', temp: '21,5' },
    });
    expect(csv.decode(line('1700000001,boiler,22'))).toEqual({
      ok: true,
      fields: { ts: 1_700_000_001, sensor: 'boiler', temp: 22 },
    });
  });

  it('skips the header when the device prints it again (a reboot), and relearns it after reset', () => {
    const csv = csvDecoder({ header: true });
    csv.decode(line('a,b'));
    expect(csv.decode(line('a,b'))).toBeNull();
    csv.reset();
    expect(csv.decode(line('x,y,z'))).toBeNull();
    expect(csv.decode(line('1,2,3'))).toEqual({ ok: true, fields: { x: 1, y: 2, z: 3 } });
  });

  it('with columns and a header, skips the header and keeps the configured names', () => {
    const csv = csvDecoder({ header: true, columns: ['t', 'h'] });
    expect(csv.decode(line('Temperature;Humidity'))).toBeNull();
    expect(csv.decode(line('21.5,40'))).toEqual({ ok: true, fields: { t: 21.5, h: 40 } });
  });

  it('with fixed columns decodes every line, with another separator', () => {
    const csv = csvDecoder({ columns: ['t', 'h'], separator: ';' });
    expect(csv.decode(line('21.5;40'))).toEqual({ ok: true, fields: { t: 21.5, h: 40 } });
  });

  it.each<[string, string[], RegExp]>([
    ['a header with an empty name', ['a,,c'], /column 2 has no name/],
    ['a header with a repeated name', ['a,b,a'], /column "a" appears twice/],
    ['a line with too few cells', ['a,b', '1'], /has 1 cells, expected 2/],
    ['an unterminated quote', ['a,b', '1,"x'], /unterminated quote/],
    ['an empty line', ['a,b', ' '], /empty line/],
  ])('dead-letters %s', (_name, lines, reason) => {
    const csv = csvDecoder({ header: true });
    const results = lines.map((l) => csv.decode(line(l)));
    const last = results.at(-1);
    expect(last?.ok).toBe(false);
    if (last?.ok === false) expect(last.reason).toMatch(reason);
  });

  it('keeps waiting for a valid header after a bad one', () => {
    const csv = csvDecoder({ header: true });
    expect(csv.decode(line('a,a'))?.ok).toBe(false);
    expect(csv.decode(line('a,b'))).toBeNull();
  });

  it('rejects invalid UTF-8 and impossible options', () => {
    expect(csvDecoder({ header: true }).decode(Buffer.from([0xc3]))).toEqual({
      ok: false,
      reason: 'payload is not valid UTF-8',
    });
    expect(() => csvDecoder({})).toThrow(/columns, or header/);
    expect(() => csvDecoder({ header: true, separator: '"' })).toThrow(RangeError);
  });

  it('splits quoted cells as RFC 4180 does', () => {
    expect(splitCsvLine('"a ""b""",c,"d,e"')).toEqual(['a "b"', 'c', 'd,e']);
    expect(splitCsvLine('1\t2', '\t')).toEqual(['1', '2']);
  });
});

describe('decodeCsvLine (one message, as MQTT payloads are decoded)', () => {
  it('names the cells of one line, numbers as numbers, with no header and no state', () => {
    expect(decodeCsvLine(' "a, b" ,3\n', ['name', 'n'])).toEqual({
      ok: true,
      fields: { name: 'a, b', n: 3 },
    });
    // An empty message is one empty cell, not an error: a one-column payload may be empty.
    expect(decodeCsvLine('', ['value'])).toEqual({ ok: true, fields: { value: '' } });
  });

  it('keeps a column named __proto__ as a field', () => {
    const result = decodeCsvLine('x,1', ['__proto__', 'n']);
    expect(result.ok && Object.keys(result.fields)).toEqual(['__proto__', 'n']);
  });

  it('gives the same reasons as the stream decoder', () => {
    const stream = csvDecoder({ columns: ['a', 'b'] });
    for (const text of ['1', '1,"2']) {
      expect(decodeCsvLine(text, ['a', 'b'])).toEqual(stream.decode(Buffer.from(text)));
    }
  });
});

describe('the byte path (printable ASCII lines read without decoding text)', () => {
  // Cells as devices print them, and the near misses: signs, dots, exponents, leading zeros, long mantissas.
  const cell = fc.oneof(
    fc.string({ unit: fc.constantFrom(...'0123456789+-.eE x'.split('')), maxLength: 24 }),
    fc.double({ noNaN: true }).map(String),
    fc.integer().map(String),
    fc.string({ maxLength: 6 }),
  );

  it('reads numbers as parseNumber does', () => {
    fc.assert(
      fc.property(cell, (text) => {
        const bytes = Buffer.from(text, 'latin1');
        if (bytes.toString('latin1') !== text) return;
        expect(Object.is(parseNumberBytes(bytes, 0, bytes.length), parseNumber(text))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same result as the text path, for streams and for one-message payloads', () => {
    fc.assert(
      fc.property(
        fc.array(cell, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (cells, n) => {
          const columns = ['a', 'b', '__proto__', 'd', 'e'].slice(0, n);
          const text = cells.join(',');
          const payload = Buffer.from(text);
          const expected = decodeCsvLine(payload.toString('utf8'), columns);
          const viaText = utf8Text(payload) === undefined ? undefined : expected;
          const stream = csvDecoder({ columns }).decode(payload);
          const message = decodeCsvPayload(payload, columns);
          if (viaText === undefined) {
            expect(message.ok).toBe(false);
            return;
          }
          // Stream lines are stripped of a line end and a BOM, and a blank one is an error; otherwise the same.
          if (text.trim() !== '' && !/[\r\n\uFEFF]/.test(text)) expect(stream).toEqual(viaText);
          expect(message).toEqual(viaText);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps -0, exponents and long numbers exact, and leaves tabs, quotes and non-ASCII to the text path', () => {
    const csv = csvDecoder({ columns: ['a', 'b', 'c', 'd'] });
    const decoded = csv.decode(line('-0,1.5e3,12345678901234567890,0.1'));
    expect(decoded).toEqual({
      ok: true,
      fields: { a: -0, b: 1500, c: Number('12345678901234567890'), d: 0.1 },
    });
    expect(decoded?.ok === true && Object.is(decoded.fields.a, -0)).toBe(true);
    expect(csv.decode(line('\t1 ,"x,y", café ,  '))).toEqual({
      ok: true,
      fields: { a: 1, b: 'x,y', c: 'café', d: '' },
    });
    expect(csv.decode(line('1,2,3'))).toEqual({
      ok: false,
      reason: 'CSV line has 3 cells, expected 4: "1,2,3"',
    });
  });
});
