// A simulated Modbus RTU slave for tests, the demo and benchmarks: answers Read Holding Registers (0x03) and Read
// Input Registers (0x04) from a register table, with a correct CRC, over any byte stream (the `sim` side of a
// pty pair, or a mock binding). It can be told to misbehave: stay silent, corrupt the CRC, answer an exception,
// or answer late.
import { crcOk, withCrc } from '../codecs/modbus/crc.js';

/** How the slave answers the next requests. */
export type SlaveBehaviour =
  | { kind: 'normal' }
  | { kind: 'silent' }
  | { kind: 'bad-crc' }
  | { kind: 'exception'; code: number }
  /** Answers correctly, but only after delayMs (a slow device, or one answering after the master gave up). */
  | { kind: 'late'; delayMs: number };

export interface ModbusSlaveOptions {
  /** Slave address, 1–247. Default: 1. */
  unitId?: number;
  /** Holding registers by address (16-bit values). Default: none. */
  holding?: Record<number, number>;
  /** Input registers by address (16-bit values). Default: none. */
  input?: Record<number, number>;
}

/** What the slave needs of a port: bytes in, bytes out. */
export interface ByteStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  write(bytes: Buffer): unknown;
}

const REQUEST_LENGTH = 8;

export class ModbusSlave {
  readonly unitId: number;
  readonly holding: Map<number, number>;
  readonly input: Map<number, number>;
  behaviour: SlaveBehaviour = { kind: 'normal' };
  /** Requests seen (well-formed, for this unit), and answers sent. */
  requests = 0;
  answers = 0;
  #buffer = Buffer.alloc(0);

  constructor(options: ModbusSlaveOptions = {}) {
    this.unitId = options.unitId ?? 1;
    this.holding = new Map(Object.entries(options.holding ?? {}).map(([a, v]) => [Number(a), v]));
    this.input = new Map(Object.entries(options.input ?? {}).map(([a, v]) => [Number(a), v]));
  }

  /** Sets a register to a signed or unsigned 16-bit value (stored as its 16-bit pattern). */
  set(table: 'holding' | 'input', address: number, value: number): void {
    (table === 'holding' ? this.holding : this.input).set(address, value & 0xffff);
  }

  /**
   * The answer to one request ADU, or undefined for none (another unit's request, a bad CRC, silent). Pure but
   * for the counters.
   */
  respond(request: Buffer): Buffer | undefined {
    if (request.length !== REQUEST_LENGTH || !crcOk(request) || request[0] !== this.unitId) return undefined;
    this.requests++;
    const fn = request[1] as number;
    const behaviour = this.behaviour;
    if (behaviour.kind === 'silent') return undefined;
    let body: Buffer;
    if (behaviour.kind === 'exception') body = Buffer.from([this.unitId, fn | 0x80, behaviour.code]);
    else if (fn !== 0x03 && fn !== 0x04) body = Buffer.from([this.unitId, fn | 0x80, 0x01]);
    else {
      const table = fn === 0x03 ? this.holding : this.input;
      const address = request.readUInt16BE(2);
      const quantity = request.readUInt16BE(4);
      const values: number[] = [];
      for (let i = 0; i < quantity; i++) {
        const value = table.get(address + i);
        if (value === undefined) {
          body = Buffer.from([this.unitId, fn | 0x80, 0x02]); // illegal data address
          return this.#answer(body);
        }
        values.push(value);
      }
      body = Buffer.alloc(3 + 2 * quantity);
      body[0] = this.unitId;
      body[1] = fn;
      body[2] = 2 * quantity;
      values.forEach((v, i) => body.writeUInt16BE(v, 3 + 2 * i));
    }
    return this.#answer(body);
  }

  #answer(body: Buffer): Buffer {
    const adu = withCrc(body);
    if (this.behaviour.kind === 'bad-crc') adu[adu.length - 1] = (adu[adu.length - 1] as number) ^ 0xff;
    this.answers++;
    return adu;
  }

  /** Serves requests arriving on a stream; returns a function that detaches it. */
  attach(stream: ByteStream): () => void {
    const onData = (chunk: Buffer): void => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= REQUEST_LENGTH) {
        const request = this.#buffer.subarray(0, REQUEST_LENGTH);
        if (!crcOk(request)) {
          // Out of step (noise): drop a byte and look for the next request.
          this.#buffer = this.#buffer.subarray(1);
          continue;
        }
        this.#buffer = this.#buffer.subarray(REQUEST_LENGTH);
        const answer = this.respond(Buffer.from(request));
        if (answer === undefined) continue;
        const behaviour = this.behaviour;
        if (behaviour.kind === 'late') setTimeout(() => stream.write(answer), behaviour.delayMs);
        else stream.write(answer);
      }
    };
    stream.on('data', onData);
    return () => {
      stream.off('data', onData);
      this.#buffer = Buffer.alloc(0);
    };
  }
}
