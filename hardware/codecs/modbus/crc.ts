// CRC-16/MODBUS (polynomial 0x8005 reflected as 0xA001, initial value 0xFFFF), the check on every RTU frame.
// On the wire it follows the frame low byte first.

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[n] = crc;
  }
  return table;
})();

export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++)
    crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

/** The frame with its CRC appended (low byte first). */
export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.alloc(body.length + 2);
  out.set(body);
  out.writeUInt16LE(crc16Modbus(body), body.length);
  return out;
}

/** True when the frame's last two bytes are the CRC of the rest. */
export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const n = frame.length - 2;
  return crc16Modbus(frame, 0, n) === ((frame[n] as number) | ((frame[n + 1] as number) << 8));
}
