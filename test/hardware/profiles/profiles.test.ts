import { describe, expect, it } from 'vitest';
import { decodePoll, planReads } from '../../../hardware/codecs/modbus/index.js';
import { createStreamDecoder } from '../../../hardware/codecs/stream-decoder.js';
import { createFramer } from '../../../hardware/framing/index.js';
import {
  findProfile,
  modbusDeviceSchema,
  profileIdSchema,
  profiles,
  profileSchema,
  type Profile,
} from '../../../hardware/profiles/index.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

/** CRC-16/MODBUS bit by bit, independent of the implementation, to build expected frames. */
function framed(hex: string): Buffer {
  const body = h(hex);
  let crc = 0xffff;
  for (const byte of body) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
}

function modbus(profile: Profile | undefined) {
  if (profile?.modbus === undefined) throw new Error('not a Modbus profile');
  return profile.modbus;
}

describe('device profiles', () => {
  it('ships valid profiles with unique ids and a source for each', () => {
    expect(profiles.map((p) => p.id)).toEqual(['sht3x-modbus', 'sdm120-modbus', 'nmea-gps']);
    for (const p of profiles) expect(p.sources.length).toBeGreaterThan(0);
  });

  it('sht3x-modbus reads input registers 1–2 in one request and scales them', () => {
    const device = modbus(findProfile('sht3x-modbus'));
    expect(device.pollInterval).toBe(10_000);
    const blocks = planReads(device.unitId, device.registers, { maxGap: device.maxGap });
    expect(blocks.map((b) => b.request)).toEqual([h('01 04 00 01 00 02 20 0B')]);
    expect(decodePoll(blocks, [framed('01 04 04 00 FA 01 C2')])).toEqual({
      ok: true,
      fields: { temperature: 25, humidity: 45 },
    });
    expect(decodePoll(blocks, [framed('01 04 04 FE 70 03 E8')])).toEqual({
      ok: true,
      fields: { temperature: -40, humidity: 100 },
    });
  });

  it('sdm120-modbus reads each float32 value on its own and decodes a poll', () => {
    const device = modbus(findProfile('sdm120-modbus'));
    expect(findProfile('sdm120-modbus')?.serial).toEqual({
      baudRate: 2400,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
    });
    const blocks = planReads(device.unitId, device.registers, { maxGap: device.maxGap });
    // adjacent registers (frequency, import and export energy) share a read; gaps are never spanned
    expect(blocks.map((b) => [b.address, b.quantity])).toEqual([
      [0x00, 2],
      [0x06, 2],
      [0x0c, 2],
      [0x12, 2],
      [0x18, 2],
      [0x1e, 2],
      [0x46, 6],
      [0x156, 2],
    ]);
    expect(blocks[0]?.request).toEqual(h('01 04 00 00 00 02 71 CB'));
    expect(blocks.at(-1)?.request).toEqual(framed('01 04 01 56 00 02'));
    // float32 big-endian: 230.0 = 43660000, 1.5 = 3FC00000, 345.0 = 43AC8000, 49.98 ≈ 4247EB85
    const values = [
      '43660000',
      '3FC00000',
      '43AC8000',
      '43AC8000',
      '00000000',
      '3F800000',
      '4247EB85 44FA0000 00000000',
      '44FA0000',
    ];
    const result = decodePoll(
      blocks,
      values.map((v) =>
        framed(`01 04 ${(v.replace(/ /g, '').length / 2).toString(16).padStart(2, '0')} ${v}`),
      ),
    );
    expect(result).toMatchObject({
      ok: true,
      fields: {
        voltage: 230,
        current: 1.5,
        activePower: 345,
        powerFactor: 1,
        importActiveEnergy: 2000,
        totalActiveEnergy: 2000,
      },
    });
    expect(result.ok && result.fields.frequency).toBeCloseTo(49.98, 4);
  });

  it('nmea-gps frames CR LF lines and decodes them', () => {
    const profile = findProfile('nmea-gps');
    if (profile === undefined) throw new Error('missing');
    const framer = createFramer(profile.framing);
    const decoder = createStreamDecoder({ format: 'nmea' });
    const stream = Buffer.from(
      'GA,0.9,545.4,M,46.9,M,,*47\r\n' + // the tail of a sentence cut off when the port opened
        '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n' +
        '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n',
    );
    const frames = [...framer.push(stream.subarray(0, 50)), ...framer.push(stream.subarray(50))];
    const results = frames.map((f) => (f.kind === 'frame' ? decoder.decode(f.data) : undefined));
    expect(results.map((r) => r?.ok)).toEqual([false, true, true]);
    expect(results[2]).toMatchObject({
      ok: true,
      fields: { sentence: 'RMC', time: Date.UTC(1994, 2, 23, 12, 35, 19) },
    });
  });

  it('names the shipped profiles when a config asks for an unknown one', () => {
    expect(profileIdSchema.safeParse('sht3x-modbus').success).toBe(true);
    const result = profileIdSchema.safeParse('sht31');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      message: 'unknown device profile "sht31"',
      params: { hint: expect.stringContaining('sht3x-modbus, sdm120-modbus, nmea-gps') as unknown },
    });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'overlapping registers',
      {
        registers: [
          { name: 'a', address: 0, type: 'uint32' },
          { name: 'b', address: 1 },
        ],
      },
      /overlaps/,
    ],
    [
      'a repeated name',
      {
        registers: [
          { name: 'a', address: 0 },
          { name: 'a', address: 1 },
        ],
      },
      /used twice/,
    ],
    ['no registers', { registers: [] }, /at least one register/],
    ['a unit id out of range', { unitId: 248, registers: [{ name: 'a', address: 0 }] }, /247/],
    ['a bad register name', { registers: [{ name: '1st', address: 0 }] }, /field name/],
    ['a unitless poll interval', { pollInterval: 10, registers: [{ name: 'a', address: 0 }] }, /./],
  ])('rejects a Modbus device with %s', (_name, input, message) => {
    const result = modbusDeviceSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });

  it('rejects a Modbus profile without a register map, or framed by lines', () => {
    const base = { id: 'x', name: 'x', description: 'x', sources: ['x'] };
    expect(
      profileSchema.safeParse({ ...base, framing: { type: 'inter-byte-timeout' }, format: 'modbus' }).success,
    ).toBe(false);
    const lines = profileSchema.safeParse({
      ...base,
      framing: { type: 'line' },
      format: 'modbus',
      modbus: { registers: [{ name: 'a', address: 0 }] },
    });
    expect(lines.error?.issues[0]?.message).toMatch(/silence/);
  });
});
