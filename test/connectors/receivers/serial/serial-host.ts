// Test doubles for the serial receiver tests: a ReceiverHost that decodes what it is given exactly as the intake
// would (the intake's own record builder), so tests see records and dead letters; and the device side of a pty.
import { SerialPort } from 'serialport';
import {
  serialReceiverConfigSchema,
  type SerialReceiverConfig,
} from '../../../../connectors/receivers/serial/config.js';
import type { DeliverOptions, RawMessage } from '../../../../connectors/types.js';
import { recordBuilder, type IngestRecord } from '../../../../daemon/intake/record.js';
import { compileKey } from '../../../../operators/expressions/index.js';
import { TestHost } from '../mqtt/test-host.js';

export interface Letter {
  reason: string;
  payload: Buffer;
}

/** A TestHost that also builds records (and dead letters) from every delivered message, in order. */
export class DecodingHost extends TestHost {
  readonly records: IngestRecord[] = [];
  readonly dead: Letter[] = [];
  readonly #build: (m: RawMessage) => ReturnType<ReturnType<typeof recordBuilder>>;

  /** Takes any receiver's record settings (serial, file, tcp); without a key, records are keyed by topic. */
  constructor(
    id: string,
    config: Pick<SerialReceiverConfig, 'format' | 'header' | 'timeFormat'> & {
      columns?: string[] | undefined;
      key?: string | undefined;
      time?: string | undefined;
    },
  ) {
    super('accept');
    const key = config.key === undefined ? undefined : compileKey(config.key);
    if (key?.ok === false) throw new Error(key.error.message);
    this.#build = recordBuilder({
      receiver: id,
      format: config.format,
      ...(config.columns === undefined ? {} : { columns: config.columns }),
      header: config.header,
      ...(key === undefined ? {} : { key: key.value }),
      ...(config.time === undefined ? {} : { time: config.time }),
      timeFormat: config.timeFormat,
    });
  }

  override deliver(messages: readonly RawMessage[], options?: DeliverOptions): Promise<void> {
    for (const message of messages) {
      const built = this.#build(message);
      if (!built.ok) this.dead.push({ reason: built.reason, payload: message.payload });
      else if (built.record !== null) this.records.push(built.record);
    }
    return super.deliver(messages, options);
  }

  waitForRecords(n: number): Promise<void> {
    return this.waitFor(`${n} records (have ${this.records.length})`, () => this.records.length >= n);
  }

  waitForDead(n: number): Promise<void> {
    return this.waitFor(`${n} dead letters (have ${this.dead.length})`, () => this.dead.length >= n);
  }
}

/** Parses a receiver config as the daemon would. */
export function serialConfig(input: Record<string, unknown>): SerialReceiverConfig {
  return serialReceiverConfigSchema.parse({ type: 'serial', ...input }) as SerialReceiverConfig;
}

/** Opens the device side of a pty pair. */
export async function openDevice(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  return port;
}

/** Writes bytes and waits until they left the process. */
export function send(port: SerialPort, bytes: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(bytes, (err) => {
      if (err) reject(err);
      else
        port.drain((drainErr) => {
          if (drainErr) reject(drainErr);
          else resolve();
        });
    });
  });
}

/** Closes a port if open; never rejects. */
export function closeDevice(port: SerialPort | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (port?.isOpen !== true) {
      resolve();
      return;
    }
    port.close(() => {
      resolve();
    });
  });
}

/** An NMEA sentence with its checksum. */
export function nmea(body: string): string {
  let sum = 0;
  for (const c of body) sum ^= c.charCodeAt(0);
  return `$${body}*${sum.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}
