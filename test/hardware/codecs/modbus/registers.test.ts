import { describe, expect, it } from 'vitest';
import {
  rawRegisterValue,
  registerValue,
  type RegisterSpec,
} from '../../../../hardware/codecs/modbus/index.js';

const spec = (s: Omit<RegisterSpec, 'name' | 'address'>): RegisterSpec => ({ name: 'v', address: 0, ...s });

describe('register values', () => {
  it.each<[string, number[], Omit<RegisterSpec, 'name' | 'address'>, number]>([
    ['uint16', [0xfffe], { type: 'uint16' }, 65_534],
    ['int16 negative', [0xff9c], { type: 'int16' }, -100],
    ['int16 with little byte order', [0x9cff], { type: 'int16', byteOrder: 'little' }, -100],
    ['uint32, high word first', [0x0001, 0x0002], { type: 'uint32' }, 65_538],
    ['uint32, low word first', [0x0002, 0x0001], { type: 'uint32', wordOrder: 'little' }, 65_538],
    ['int32 negative', [0xffff, 0xfffe], { type: 'int32' }, -2],
    [
      'int32, both orders swapped',
      [0xfeff, 0xffff],
      { type: 'int32', wordOrder: 'little', byteOrder: 'little' },
      -2,
    ],
    ['float32 230.0 (0x43660000)', [0x4366, 0x0000], { type: 'float32' }, 230],
    ['float32 -1.5, low word first', [0x0000, 0xbfc0], { type: 'float32', wordOrder: 'little' }, -1.5],
    [
      'float32 1234.5, byte-swapped (BADC)',
      [0x9a44, 0x0050],
      { type: 'float32', byteOrder: 'little' },
      1234.5,
    ],
    [
      'float32 1234.5, fully reversed (DCBA)',
      [0x0050, 0x9a44],
      { type: 'float32', wordOrder: 'little', byteOrder: 'little' },
      1234.5,
    ],
  ])('reads %s', (_name, registers, s, expected) => {
    expect(rawRegisterValue(registers, 0, spec(s))).toBe(expected);
  });

  it('applies scale then offset, dividing for decimal scales', () => {
    expect(registerValue([215], 0, spec({ type: 'int16', scale: 0.1 }))).toBe(21.5);
    expect(registerValue([123], 0, spec({ scale: 0.1 }))).toBe(12.3);
    expect(registerValue([0xff9c], 0, spec({ type: 'int16', scale: 0.1 }))).toBe(-10);
    expect(registerValue([1000], 0, spec({ scale: 0.01, offset: -40 }))).toBe(-30);
    expect(registerValue([3], 0, spec({ scale: 2.5, offset: 1 }))).toBe(8.5);
  });

  it('reads at an index within a block and refuses one past its end', () => {
    expect(rawRegisterValue([1, 2, 3], 2, spec({}))).toBe(3);
    expect(() => rawRegisterValue([1, 2], 1, spec({ type: 'uint32' }))).toThrow(RangeError);
  });
});
