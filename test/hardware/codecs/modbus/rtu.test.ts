import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc16Modbus,
  crcOk,
  decodeReadResponse,
  encodeReadRequest,
  expectedResponseLength,
  isStrayFrame,
  modbusSilenceMs,
  responseLength,
  type ReadRequest,
} from '../../../../hardware/codecs/modbus/index.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

/** CRC-16/MODBUS bit by bit, written independently of the table-driven implementation. */
function referenceCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}
const framed = (hex: string) => {
  const body = h(hex);
  const crc = referenceCrc(body);
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
};

describe('CRC-16/MODBUS', () => {
  it('gives the check value of the CRC catalogue ("123456789" → 0x4B37)', () => {
    expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('agrees with a bitwise reference on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc16Modbus(bytes)).toBe(referenceCrc(bytes));
      }),
    );
  });

  it('accepts a frame with its CRC and rejects any single corrupted bit', () => {
    const frame = h('01 03 00 00 00 0A C5 CD');
    expect(crcOk(frame)).toBe(true);
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const bad = Buffer.from(frame);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(crcOk(bad), `bit ${bit}`).toBe(false);
    }
  });
});

describe('encodeReadRequest', () => {
  it.each<[string, ReadRequest, string]>([
    // Modbus over serial line spec / application protocol examples, and the XY-MD02 and Eastron SDM manuals.
    [
      '10 holding registers from 0',
      { unitId: 1, table: 'holding', address: 0, quantity: 10 },
      '01 03 00 00 00 0A C5 CD',
    ],
    [
      'input registers 1–2 (SHT20 transmitter)',
      { unitId: 1, table: 'input', address: 1, quantity: 2 },
      '01 04 00 01 00 02 20 0B',
    ],
    [
      'SDM voltage (input 0x0000, 2 registers)',
      { unitId: 1, table: 'input', address: 0, quantity: 2 },
      '01 04 00 00 00 02 71 CB',
    ],
  ])('encodes %s', (_name, request, hex) => {
    expect(encodeReadRequest(request)).toEqual(h(hex));
  });

  it('encodes any valid request with a correct CRC', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 247 }),
        fc.constantFrom<'holding' | 'input'>('holding', 'input'),
        fc.integer({ min: 0, max: 65_535 - 125 }),
        fc.integer({ min: 1, max: 125 }),
        (unitId, table, address, quantity) => {
          const adu = encodeReadRequest({ unitId, table, address, quantity });
          const fn = table === 'holding' ? '03' : '04';
          const hex = [unitId, address >> 8, address & 0xff, 0, quantity].map((n) =>
            n.toString(16).padStart(2, '0'),
          );
          expect(adu).toEqual(framed(`${hex[0]}${fn}${hex[1]}${hex[2]}${hex[3]}${hex[4]}`));
        },
      ),
    );
  });

  it.each<[string, ReadRequest]>([
    ['unit 0 (broadcast: no response to read)', { unitId: 0, table: 'holding', address: 0, quantity: 1 }],
    ['unit 248', { unitId: 248, table: 'holding', address: 0, quantity: 1 }],
    ['126 registers', { unitId: 1, table: 'holding', address: 0, quantity: 126 }],
    ['0 registers', { unitId: 1, table: 'input', address: 0, quantity: 0 }],
    ['a read past 65535', { unitId: 1, table: 'input', address: 65_535, quantity: 2 }],
  ])('refuses %s', (_name, request) => {
    expect(() => encodeReadRequest(request)).toThrow(RangeError);
  });
});

describe('decodeReadResponse', () => {
  const input12: ReadRequest = { unitId: 1, table: 'input', address: 1, quantity: 2 };
  const holding10: ReadRequest = { unitId: 1, table: 'holding', address: 0, quantity: 10 };

  it('decodes register values', () => {
    expect(decodeReadResponse(h('01 04 04 00 FA 01 C2 5B B4'), input12)).toEqual({
      ok: true,
      registers: [250, 450],
    });
    expect(
      decodeReadResponse(framed('01 03 14' + '0000 0001 0002 0003 0004 0005 0006 0007 0008 FFFF'), holding10),
    ).toEqual({
      ok: true,
      registers: [0, 1, 2, 3, 4, 5, 6, 7, 8, 65_535],
    });
  });

  it('turns an exception response into a reason naming the exception', () => {
    const result = decodeReadResponse(h('01 83 02 C0 F1'), holding10);
    expect(result).toMatchObject({ ok: false, exception: { code: 2, name: 'illegal data address' } });
    expect(decodeReadResponse(framed('01 84 06'), input12)).toMatchObject({
      ok: false,
      exception: { code: 6, name: 'server device busy' },
    });
  });

  it.each<[string, Buffer, ReadRequest, RegExp]>([
    ['a bad CRC', h('01 04 04 00 FA 01 C2 5B B5'), input12, /CRC mismatch/],
    ['a truncated frame', h('01 04 04 00'), input12, /too short/],
    ['another unit', framed('02 04 04 00 FA 01 C2'), input12, /unit 2, expected 1/],
    ['another function', framed('01 03 04 00 FA 01 C2'), input12, /function 0x3, expected 0x04/],
    ['a wrong byte count', framed('01 04 02 00 FA'), input12, /carries 2 bytes, expected 4/],
    ['a byte count that disagrees with the length', framed('01 04 04 00 FA 01'), input12, /byte count says/],
  ])('rejects %s', (_name, frame, request, reason) => {
    const result = decodeReadResponse(frame, request);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(decodeReadResponse(bytes, input12).ok).toBe(false);
      }),
    );
  });
});

describe('isStrayFrame', () => {
  const input12: ReadRequest = { unitId: 1, table: 'input', address: 1, quantity: 2 };

  it.each<[string, Buffer]>([
    ["another unit's answer", framed('03 04 04 00 64 00 C8')],
    ["another unit's exception", framed('03 84 02')],
    ['an answer to another function', framed('01 03 04 00 FA 01 C2')],
    ['an exception to another function', framed('01 83 02')],
    ['an answer with another register count', framed('01 04 02 00 FA')],
  ])('is true for %s (a late answer to an earlier request)', (_name, frame) => {
    expect(isStrayFrame(frame, input12)).toBe(true);
  });

  it.each<[string, Buffer]>([
    ['the answer', h('01 04 04 00 FA 01 C2 5B B4')],
    ['its exception', framed('01 84 02')],
    ["another unit's frame with a bad CRC (noise: the poll fails on it)", h('03 04 04 00 FA 01 C2 5B B4')],
    ['a frame shorter than its header says', framed('03 04 04 00 FA 01')],
    ['a frame of a function the master does not read', framed('03 10 00 01 00 02')],
  ])('is false for %s', (_name, frame) => {
    expect(isStrayFrame(frame, input12)).toBe(false);
  });
});

describe('response length and timing', () => {
  it('knows the length of a response from its first three bytes', () => {
    expect(responseLength(h('01'))).toBeUndefined();
    expect(responseLength(h('01 04'))).toBeUndefined();
    expect(responseLength(h('01 04 04'))).toBe(9);
    expect(responseLength(h('01 83'))).toBe(5);
    expect(responseLength(h('01 10 00'))).toBeUndefined();
    expect(expectedResponseLength({ unitId: 1, table: 'holding', address: 0, quantity: 10 })).toBe(25);
  });

  it('gives 3.5 character times of silence, fixed at 1.75 ms above 19200 baud', () => {
    expect(modbusSilenceMs(9600)).toBeCloseTo(4.01, 2);
    expect(modbusSilenceMs(2400)).toBeCloseTo(16.04, 2);
    expect(modbusSilenceMs(115_200)).toBe(1.75);
  });
});
