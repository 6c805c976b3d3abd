// Register values: how a device packs a number into 16-bit registers (16 or 32 bits, signed or not, IEEE 754
// float), in which word and byte order, and the scale and offset that turn the raw number into a reading.
import type { RegisterTable } from './rtu.js';

export type RegisterType = 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32';

export interface RegisterSpec {
  /** The record field the value goes to. */
  name: string;
  /** Which table it is read from. Default: `holding`. */
  table?: RegisterTable;
  /** 0-based protocol address of the (first) register. */
  address: number;
  /** Default: `uint16`. */
  type?: RegisterType;
  /** For 32-bit types: `big` when the first register holds the high word (the Modbus norm). Default: `big`. */
  wordOrder?: 'big' | 'little';
  /** Within each register: `big` when the high byte comes first (the Modbus norm). Default: `big`. */
  byteOrder?: 'big' | 'little';
  /** The value is raw × scale + offset. Default: 1. */
  scale?: number;
  /** Default: 0. */
  offset?: number;
}

/** How many 16-bit registers a type takes. */
export function registerWidth(type: RegisterType = 'uint16'): 1 | 2 {
  return type === 'uint16' || type === 'int16' ? 1 : 2;
}

const scratch = new DataView(new ArrayBuffer(4));

/** The raw number (before scale and offset) at `index` in a block of registers read from the device. */
export function rawRegisterValue(registers: readonly number[], index: number, spec: RegisterSpec): number {
  const type = spec.type ?? 'uint16';
  const swap = (r: number) => (spec.byteOrder === 'little' ? ((r & 0xff) << 8) | (r >>> 8) : r);
  const first = registers[index];
  if (first === undefined) throw new RangeError(`register ${index} is not in the block`);
  if (type === 'uint16' || type === 'int16') {
    scratch.setUint16(0, swap(first));
    return type === 'int16' ? scratch.getInt16(0) : scratch.getUint16(0);
  }
  const second = registers[index + 1];
  if (second === undefined) throw new RangeError(`register ${index + 1} is not in the block`);
  const [high, low] = spec.wordOrder === 'little' ? [second, first] : [first, second];
  scratch.setUint16(0, swap(high));
  scratch.setUint16(2, swap(low));
  return type === 'int32'
    ? scratch.getInt32(0)
    : type === 'uint32'
      ? scratch.getUint32(0)
      : scratch.getFloat32(0);
}

/** The reading: raw × scale + offset. A scale of 0.1, 0.01, … divides, so 215 × 0.1 gives 21.5, not 21.500000000000004. */
export function registerValue(registers: readonly number[], index: number, spec: RegisterSpec): number {
  const raw = rawRegisterValue(registers, index, spec);
  const scale = spec.scale ?? 1;
  const inverse = 1 / scale;
  const scaled = scale === 1 ? raw : Number.isInteger(inverse) ? raw / inverse : raw * scale;
  return scaled + (spec.offset ?? 0);
}
