// Modbus RTU as a master sees it: the read requests it sends (Read Holding Registers 0x03, Read Input Registers
// 0x04) and the responses it decodes (register values, or the slave's exception), CRC checked. Pure: the serial
// receiver owns the port, the schedule and the per-request timeout.
import { crcOk, withCrc } from './crc.js';

/** Which register table a read targets: holding registers (0x03, 4xxxx) or input registers (0x04, 3xxxx). */
export type RegisterTable = 'holding' | 'input';

export const FUNCTION_CODE: Record<RegisterTable, number> = { holding: 0x03, input: 0x04 };

export interface ReadRequest {
  /** Slave address, 1–247. */
  unitId: number;
  table: RegisterTable;
  /** First register, 0-based protocol address (register 30001 / 40001 is address 0). */
  address: number;
  /** Number of 16-bit registers, 1–125. */
  quantity: number;
}

/** Exception codes from the Modbus Application Protocol Specification V1.1b3, section 7. */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  0x01: 'illegal function',
  0x02: 'illegal data address',
  0x03: 'illegal data value',
  0x04: 'server device failure',
  0x05: 'acknowledge',
  0x06: 'server device busy',
  0x08: 'memory parity error',
  0x0a: 'gateway path unavailable',
  0x0b: 'gateway target device failed to respond',
};

export type ReadResponse =
  | { readonly ok: true; readonly registers: number[] }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Set when the slave answered with an exception response. */
      readonly exception?: { readonly code: number; readonly name: string };
    };

/** Throws RangeError for a request no slave could answer (a config error, caught when the config is checked). */
export function checkReadRequest(request: ReadRequest): void {
  const { unitId, address, quantity } = request;
  if (!Number.isInteger(unitId) || unitId < 1 || unitId > 247)
    throw new RangeError(`unit id must be 1–247, got ${unitId}`);
  if (!Number.isInteger(address) || address < 0 || address > 0xffff) {
    throw new RangeError(`register address must be 0–65535, got ${address}`);
  }
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > 125) {
    throw new RangeError(`a read covers 1–125 registers, got ${quantity}`);
  }
  if (address + quantity > 0x10000) throw new RangeError(`registers ${address}+${quantity} run past 65535`);
}

/** The request ADU: unit, function, address, quantity (big-endian), CRC. */
export function encodeReadRequest(request: ReadRequest): Buffer {
  checkReadRequest(request);
  const pdu = Buffer.alloc(6);
  pdu[0] = request.unitId;
  pdu[1] = FUNCTION_CODE[request.table];
  pdu.writeUInt16BE(request.address, 2);
  pdu.writeUInt16BE(request.quantity, 4);
  return withCrc(pdu);
}

/** Length of the normal response to a request: unit, function, byte count, 2 bytes per register, CRC. */
export function expectedResponseLength(request: ReadRequest): number {
  return 5 + 2 * request.quantity;
}

/**
 * How long the response that starts with these bytes is, as soon as its header says so: lets the receiver end a
 * response without waiting for the 3.5-character silence. Undefined while fewer than 3 bytes are in, or for a
 * function code this module does not read (then only the silence ends the frame).
 */
export function responseLength(bytes: Uint8Array): number | undefined {
  const fn = bytes[1];
  if (fn === undefined) return undefined;
  if (fn & 0x80) return 5;
  if (fn !== 0x03 && fn !== 0x04) return undefined;
  const count = bytes[2];
  return count === undefined ? undefined : 5 + count;
}

/**
 * Whether a whole frame (its length as its header says, CRC good) cannot be the answer to `request`: another
 * unit's, another function's, or a normal response carrying another number of registers. On a bus that is a late
 * answer to an earlier request; a master drops it and keeps waiting (Modbus over Serial Line V1.02, 2.4.1: "a
 * reply from an unexpected slave"). A frame this says nothing against is the response, good or bad.
 */
export function isStrayFrame(frame: Uint8Array, request: ReadRequest): boolean {
  const length = responseLength(frame);
  if (length === undefined || frame.length !== length || !crcOk(frame)) return false;
  const fn = frame[1] as number;
  const expectedFn = FUNCTION_CODE[request.table];
  if (frame[0] !== request.unitId || (fn & 0x7f) !== expectedFn) return true;
  return fn === expectedFn && frame[2] !== 2 * request.quantity;
}

/** Decodes the response to `request`; anything but the matching normal response is a reason. */
export function decodeReadResponse(frame: Uint8Array, request: ReadRequest): ReadResponse {
  const hex = Buffer.from(frame.subarray(0, 64)).toString('hex');
  if (frame.length < 5) return { ok: false, reason: `response too short (${frame.length} bytes): ${hex}` };
  if (!crcOk(frame)) return { ok: false, reason: `CRC mismatch in response: ${hex}` };
  const unit = frame[0] as number;
  const fn = frame[1] as number;
  const expectedFn = FUNCTION_CODE[request.table];
  if (unit !== request.unitId)
    return { ok: false, reason: `response from unit ${unit}, expected ${request.unitId}` };
  if (fn === (expectedFn | 0x80)) {
    const code = frame[2] as number;
    const name = MODBUS_EXCEPTIONS[code] ?? 'unknown exception';
    if (frame.length !== 5)
      return { ok: false, reason: `exception response of ${frame.length} bytes, expected 5: ${hex}` };
    return {
      ok: false,
      reason: `unit ${unit} answered exception ${code} (${name}) to reading ${request.table} registers ${request.address}+${request.quantity}`,
      exception: { code, name },
    };
  }
  if (fn !== expectedFn)
    return { ok: false, reason: `response function 0x${fn.toString(16)}, expected 0x0${expectedFn}` };
  const count = frame[2] as number;
  if (count !== 2 * request.quantity) {
    return { ok: false, reason: `response carries ${count} bytes, expected ${2 * request.quantity}` };
  }
  if (frame.length !== 5 + count)
    return { ok: false, reason: `response of ${frame.length} bytes, its byte count says ${5 + count}` };
  const registers: number[] = [];
  for (let i = 0; i < request.quantity; i++)
    registers.push(((frame[3 + 2 * i] as number) << 8) | (frame[4 + 2 * i] as number));
  return { ok: true, registers };
}

/**
 * The silence that ends an RTU frame: 3.5 character times (11 bits each), fixed at 1.75 ms above 19200 baud
 * (Modbus over Serial Line V1.02, 2.5.1.1). USB adapters add latency on top: the receiver allows for it.
 */
export function modbusSilenceMs(baudRate: number): number {
  return baudRate > 19_200 ? 1.75 : (3.5 * 11 * 1000) / baudRate;
}
