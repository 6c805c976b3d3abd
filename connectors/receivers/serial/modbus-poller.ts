// The Modbus RTU master of a serial receiver with `format: modbus`: it polls one or several devices (unit ids) on
// the same bus, each on its own pollInterval. Requests are serialised: one exchange on the bus at a time, the
// devices that fall due wait in a queue, so a device that does not answer holds the others up by its own timeout
// per request (plus gapMs of quiet line after a timeout, so that a late answer is not read as the next device's)
// and no more. A late answer that comes anyway, during a later exchange, is a whole frame (CRC good) that cannot
// answer the request on the bus (another unit, another function or register count): it is dropped and the
// response timeout runs on, as the Modbus serial-line spec has a master do with "a reply from an unexpected
// slave". A timeout is declared only after the port has been read in that turn of the event loop, so an answer
// that came in time is not lost because the loop itself was late (busy). Each response ends by its length from
// the header, by the inter-character silence, or by the per-request timeout; each poll becomes one outcome: the
// decoded fields, or the reason it failed (timeout, CRC, an exception from the slave) with the bytes that came
// back. Knows nothing of the port: it writes through `write` and is fed what the port reads.
import {
  decodePoll,
  isStrayFrame,
  planReads,
  responseLength,
  type ReadBlock,
} from '../../../hardware/codecs/modbus/index.js';
import type { ModbusDeviceConfig } from '../../../hardware/profiles/index.js';

/** One device on the bus; `name` is set when the receiver polls a list of devices (it keys the records). */
export interface ModbusBusDevice extends ModbusDeviceConfig {
  name?: string;
}

/** A poll's result: one record's fields, or a dead letter's reason and bytes; `device` is the device's name. */
export type PollOutcome = { device?: string; atMs: number } & (
  { ok: true; fields: Record<string, unknown> } | { ok: false; reason: string; raw: Buffer }
);

export interface ModbusPollerOptions {
  /** Silence after the last byte that ends a response whose length the header did not give, ms. */
  gapMs: number;
  /** Sends a request; rejects when the port cannot write. */
  write: (bytes: Buffer) => Promise<void>;
  /** Receives each poll's outcome, in order. */
  onPoll: (outcome: PollOutcome) => void;
  /** False while the receiver cannot take an outcome (READ_AHEAD outcomes wait for the intake): the poll is skipped. */
  ready: () => boolean;
  /** Clock, epoch ms. Default: Date.now. */
  now?: () => number;
}

/** The response being collected for one request. */
interface Exchange {
  /** What was asked: a whole frame that cannot answer it is a stray (a late answer) and is dropped. */
  block: ReadBlock;
  bytes: Buffer[];
  length: number;
  finish: (timedOut: boolean) => void;
  gapTimer: NodeJS.Timeout | undefined;
}

/** A device and its schedule. */
interface Slot {
  readonly device: ModbusBusDevice;
  readonly blocks: readonly ReadBlock[];
  timer: NodeJS.Timeout | undefined;
  /** Queued or being polled: a tick meanwhile is skipped. */
  busy: boolean;
}

/** Bytes kept of a failed poll for its dead letter. */
const MAX_RAW = 256;

export class ModbusPoller {
  readonly #slots: readonly Slot[];
  /** Devices due, in the order they fell due; the head is on the bus. */
  #due: Slot[] = [];
  #running = false;
  #exchange: Exchange | undefined;
  #stopped = true;
  /** When the port last gave a byte, and when a request last timed out (performance.now() ms). */
  #lastByteMs = -Infinity;
  #timedOutMs = -Infinity;
  /** Polls skipped because the device's previous poll, or a delivery, was still in progress. */
  skipped = 0;
  /** Whole frames that could not answer the request on the bus (late answers), dropped during an exchange. */
  strays = 0;
  readonly #now: () => number;

  constructor(
    devices: readonly ModbusBusDevice[],
    private readonly options: ModbusPollerOptions,
  ) {
    this.#slots = devices.map((device) => ({
      device,
      blocks: planReads(device.unitId, device.registers, { maxGap: device.maxGap }),
      timer: undefined,
      busy: false,
    }));
    this.#now = options.now ?? Date.now;
  }

  /** The planned reads of every device, in device order. */
  get blocks(): readonly ReadBlock[] {
    return this.#slots.flatMap((slot) => slot.blocks);
  }

  /** Polls every device now and then each every its pollInterval, until stop(). */
  start(): void {
    this.#stopped = false;
    for (const slot of this.#slots) {
      this.#tick(slot);
      slot.timer = setInterval(() => {
        this.#tick(slot);
      }, slot.device.pollInterval);
    }
  }

  /** Stops polling; a poll in progress ends without an outcome, queued ones are dropped. */
  stop(): void {
    this.#stopped = true;
    for (const slot of this.#slots) {
      clearInterval(slot.timer);
      slot.timer = undefined;
      slot.busy = false;
    }
    this.#due = [];
    this.#exchange?.finish(true);
  }

  /** Bytes read from the port: part of the current response, or noise between requests (dropped). */
  feed(chunk: Buffer): void {
    this.#lastByteMs = performance.now();
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    exchange.bytes.push(chunk);
    exchange.length += chunk.length;
    let head = Buffer.concat(exchange.bytes, exchange.length);
    let expected = responseLength(head);
    // A late answer to a request that timed out: a whole frame, CRC good, that cannot answer this one.
    while (
      expected !== undefined &&
      head.length >= expected &&
      isStrayFrame(head.subarray(0, expected), exchange.block)
    ) {
      this.strays++;
      head = head.subarray(expected);
      expected = responseLength(head);
    }
    exchange.bytes = [head];
    exchange.length = head.length;
    if (expected !== undefined && head.length >= expected) {
      exchange.finish(false);
      return;
    }
    if (head.length === 0) {
      // Only strays so far: the response is still to come, within the timeout.
      clearTimeout(exchange.gapTimer);
      exchange.gapTimer = undefined;
      return;
    }
    // Without a length yet (or for a function we do not read), only a silence ends the response.
    if (exchange.gapTimer === undefined) {
      exchange.gapTimer = setTimeout(() => {
        exchange.finish(false);
      }, this.options.gapMs);
    } else exchange.gapTimer.refresh();
  }

  #tick(slot: Slot): void {
    if (this.#stopped) return;
    if (slot.busy || !this.options.ready()) {
      this.skipped++;
      return;
    }
    slot.busy = true;
    this.#due.push(slot);
    if (!this.#running) void this.#run();
  }

  /** Works through the due devices one poll at a time: the bus carries one exchange at once. */
  async #run(): Promise<void> {
    this.#running = true;
    try {
      for (let slot = this.#due.shift(); slot !== undefined; slot = this.#due.shift()) {
        let outcome: PollOutcome | undefined;
        try {
          outcome = await this.#poll(slot);
        } catch (err) {
          const reason = `cannot write the request: ${err instanceof Error ? err.message : String(err)}`;
          outcome = this.#failed(slot, reason, Buffer.alloc(0));
        }
        slot.busy = false;
        if (this.#stopped) return;
        if (outcome !== undefined) this.options.onPoll(outcome);
      }
    } finally {
      this.#running = false;
    }
  }

  #failed(slot: Slot, reason: string, raw: Buffer): PollOutcome {
    const name = slot.device.name;
    return { ...(name === undefined ? {} : { device: name }), ok: false, reason, raw, atMs: this.#now() };
  }

  /** One poll of a device: every block in turn; stops at the first that fails. Undefined when stopped meanwhile. */
  async #poll(slot: Slot): Promise<PollOutcome | undefined> {
    const { device, blocks } = slot;
    const responses: Buffer[] = [];
    for (const block of blocks) {
      const response = await this.#request(block, device.timeout);
      if (this.#stopped) return undefined;
      if (response === undefined) {
        return this.#failed(
          slot,
          `no response from unit ${block.unitId} within ${device.timeout} ms (reading ${block.table} registers ${block.address}+${block.quantity})`,
          block.request,
        );
      }
      responses.push(response);
      // A failed read ends the poll: the rest would be dead-lettered with it anyway.
      const partial = decodePoll([block], [response]);
      if (!partial.ok) return this.#failed(slot, partial.reason, response.subarray(0, MAX_RAW));
    }
    const decoded = decodePoll(blocks, responses);
    if (!decoded.ok) return this.#failed(slot, decoded.reason, Buffer.concat(responses).subarray(0, MAX_RAW));
    const name = device.name;
    return {
      ...(name === undefined ? {} : { device: name }),
      ok: true,
      fields: decoded.fields,
      atMs: this.#now(),
    };
  }

  /** Sends one request and resolves with its response, or undefined when nothing came within the timeout. */
  /**
   * After a request timed out, waits until the line has been quiet for gapMs (and gapMs since the timeout), so
   * that a late answer is dropped as noise instead of being taken for the next device's response.
   */
  async #settle(): Promise<void> {
    for (;;) {
      const quietSince = Math.max(this.#lastByteMs, this.#timedOutMs);
      if (quietSince === -Infinity || this.#stopped) return;
      const wait = quietSince + this.options.gapMs - performance.now();
      if (wait <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
    }
  }

  async #request(block: ReadBlock, timeoutMs: number): Promise<Buffer | undefined> {
    if (this.#timedOutMs !== -Infinity) {
      await this.#settle();
      this.#timedOutMs = -Infinity;
      if (this.#stopped) return undefined;
    }
    return new Promise<Buffer | undefined>((resolve, reject) => {
      let timeout: NodeJS.Timeout | undefined;
      const exchange: Exchange = {
        block,
        bytes: [],
        length: 0,
        gapTimer: undefined,
        finish: (timedOut) => {
          if (this.#exchange !== exchange) return;
          this.#exchange = undefined;
          clearTimeout(timeout);
          clearTimeout(exchange.gapTimer);
          resolve(timedOut && exchange.length === 0 ? undefined : Buffer.concat(exchange.bytes));
        },
      };
      this.#exchange = exchange;
      this.options.write(block.request).then(
        () => {
          if (this.#exchange !== exchange) return;
          timeout = setTimeout(() => {
            // Timers run before the loop polls the port: when the loop was busy past the timeout, the answer may
            // be waiting in the kernel. setImmediate runs after this turn's reads, which finish a whole answer.
            setImmediate(() => {
              if (this.#exchange !== exchange) return;
              this.#timedOutMs = performance.now();
              exchange.finish(true);
            });
          }, timeoutMs);
        },
        (err: unknown) => {
          if (this.#exchange === exchange) this.#exchange = undefined;
          clearTimeout(exchange.gapTimer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
