import { describe, expect, it } from 'vitest';
import {
  decodePoll,
  planReads,
  withCrc,
  type RegisterSpec,
} from '../../../../hardware/codecs/modbus/index.js';

const h = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

describe('planReads', () => {
  const sht: RegisterSpec[] = [
    { name: 'humidity', table: 'input', address: 2, type: 'uint16', scale: 0.1 },
    { name: 'temperature', table: 'input', address: 1, type: 'int16', scale: 0.1 },
  ];

  it('merges adjacent registers into one read, in address order', () => {
    const [block, ...rest] = planReads(1, sht);
    expect(rest).toEqual([]);
    expect(block).toMatchObject({ unitId: 1, table: 'input', address: 1, quantity: 2 });
    expect(block?.specs.map((s) => s.name)).toEqual(['temperature', 'humidity']);
    expect(block?.request).toEqual(h('01 04 00 01 00 02 20 0B'));
  });

  it('splits on a gap unless maxGap allows it, per table and within maxQuantity', () => {
    const map: RegisterSpec[] = [
      { name: 'a', table: 'input', address: 0, type: 'float32' },
      { name: 'b', table: 'input', address: 6, type: 'float32' },
      { name: 'c', table: 'holding', address: 6, type: 'float32' },
    ];
    expect(planReads(1, map).map((b) => [b.table, b.address, b.quantity])).toEqual([
      ['input', 0, 2],
      ['input', 6, 2],
      ['holding', 6, 2],
    ]);
    expect(planReads(1, map, { maxGap: 4 }).map((b) => [b.table, b.address, b.quantity])).toEqual([
      ['input', 0, 8],
      ['holding', 6, 2],
    ]);
    expect(planReads(1, map, { maxGap: 4, maxQuantity: 7 }).map((b) => [b.address, b.quantity])).toEqual([
      [0, 2],
      [6, 2],
      [6, 2],
    ]);
  });

  it('refuses overlapping registers', () => {
    expect(() =>
      planReads(1, [
        { name: 'a', address: 0, type: 'uint32' },
        { name: 'b', address: 1 },
      ]),
    ).toThrow(/overlaps/);
  });
});

describe('decodePoll', () => {
  it('turns the responses of one poll into one record', () => {
    const blocks = planReads(1, [
      { name: 'temperature', table: 'input', address: 1, type: 'int16', scale: 0.1 },
      { name: 'humidity', table: 'input', address: 2, scale: 0.1 },
    ]);
    expect(decodePoll(blocks, [h('01 04 04 FF 9C 01 90 0A 42')])).toEqual({
      ok: true,
      fields: { temperature: -10, humidity: 40 },
    });
  });

  it('fails the whole poll when one read fails, with the reason', () => {
    const blocks = planReads(1, [
      { name: 'v', table: 'input', address: 0, type: 'float32' },
      { name: 'e', table: 'input', address: 0x156, type: 'float32' },
    ]);
    const ok = h('01 04 04 43 66 00 00 0E 1F');
    expect(decodePoll(blocks, [ok, h('01 84 02 C2 C1')])).toMatchObject({
      ok: false,
      reason: /illegal data address/,
    });
    expect(decodePoll(blocks, [ok])).toMatchObject({ ok: false, reason: /1 responses for 2 reads/ });
  });

  it('fails on a float32 NaN, naming the register', () => {
    const blocks = planReads(1, [{ name: 'power', table: 'input', address: 0, type: 'float32' }]);
    expect(decodePoll(blocks, [withCrc(h('01 04 04 7F C0 00 00'))])).toMatchObject({
      ok: false,
      reason: /"power".*NaN/,
    });
  });
});
