// The Modbus RTU master of a serial receiver with `format: modbus`: every pollInterval it sends each planned read
// in turn, collects the response (ended by its length from the header, by the inter-character silence, or by the
// per-request timeout), and turns the whole poll into one outcome: the decoded fields, or the reason it failed
// (timeout, CRC, an exception from the slave) with the bytes that came back. Knows nothing of the port: it writes
// through `write` and is fed what the port reads.
import {
  decodePoll,
  planReads,
  responseLength,
  type ReadBlock,
} from '../../../hardware/codecs/modbus/index.js';
import type { ModbusDeviceConfig } from '../../../hardware/profiles/index.js';

/** A poll's result: one record's fields, or a dead letter's reason and bytes. */
export type PollOutcome =
  | { ok: true; fields: Record<string, unknown>; atMs: number }
  | { ok: false; reason: string; raw: Buffer; atMs: number };

export interface ModbusPollerOptions {
  /** Silence after the last byte that ends a response whose length the header did not give, ms. */
  gapMs: number;
  /** Sends a request; rejects when the port cannot write. */
  write: (bytes: Buffer) => Promise<void>;
  /** Receives each poll's outcome, in order. */
  onPoll: (outcome: PollOutcome) => void;
  /** False while the receiver cannot take an outcome (a delivery is pending): the poll is skipped. */
  ready: () => boolean;
  /** Clock, epoch ms. Default: Date.now. */
  now?: () => number;
}

/** The response being collected for one request. */
interface Exchange {
  bytes: Buffer[];
  length: number;
  finish: (timedOut: boolean) => void;
  gapTimer: NodeJS.Timeout | undefined;
}

/** Bytes kept of a failed poll for its dead letter. */
const MAX_RAW = 256;

export class ModbusPoller {
  readonly blocks: readonly ReadBlock[];
  #timer: NodeJS.Timeout | undefined;
  #exchange: Exchange | undefined;
  #polling = false;
  #stopped = true;
  /** Polls skipped because the previous one, or its delivery, was still in progress. */
  skipped = 0;
  readonly #now: () => number;

  constructor(
    private readonly device: ModbusDeviceConfig,
    private readonly options: ModbusPollerOptions,
  ) {
    this.blocks = planReads(device.unitId, device.registers, { maxGap: device.maxGap });
    this.#now = options.now ?? Date.now;
  }

  /** Polls now and then every pollInterval, until stop(). */
  start(): void {
    this.#stopped = false;
    this.#tick();
    this.#timer = setInterval(() => {
      this.#tick();
    }, this.device.pollInterval);
  }

  /** Stops polling; a poll in progress ends without an outcome. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#exchange?.finish(true);
  }

  /** Bytes read from the port: part of the current response, or noise between requests (dropped). */
  feed(chunk: Buffer): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    exchange.bytes.push(chunk);
    exchange.length += chunk.length;
    const head = Buffer.concat(exchange.bytes, exchange.length);
    exchange.bytes = [head];
    const expected = responseLength(head);
    if (expected !== undefined && head.length >= expected) {
      exchange.finish(false);
      return;
    }
    // Without a length yet (or for a function we do not read), only a silence ends the response.
    if (exchange.gapTimer === undefined) {
      exchange.gapTimer = setTimeout(() => {
        exchange.finish(false);
      }, this.options.gapMs);
    } else exchange.gapTimer.refresh();
  }

  #tick(): void {
    if (this.#stopped) return;
    if (this.#polling || !this.options.ready()) {
      this.skipped++;
      return;
    }
    this.#polling = true;
    this.#poll().then(
      (outcome) => {
        this.#polling = false;
        if (outcome !== undefined && !this.#stopped) this.options.onPoll(outcome);
      },
      (err: unknown) => {
        this.#polling = false;
        if (this.#stopped) return;
        const reason = `cannot write the request: ${err instanceof Error ? err.message : String(err)}`;
        this.options.onPoll({ ok: false, reason, raw: Buffer.alloc(0), atMs: this.#now() });
      },
    );
  }

  /** One poll: every block in turn; stops at the first that fails. Undefined when stopped meanwhile. */
  async #poll(): Promise<PollOutcome | undefined> {
    const responses: Buffer[] = [];
    for (const block of this.blocks) {
      const response = await this.#request(block);
      if (this.#stopped) return undefined;
      if (response === undefined) {
        return {
          ok: false,
          reason: `no response from unit ${block.unitId} within ${this.device.timeout} ms (reading ${block.table} registers ${block.address}+${block.quantity})`,
          raw: block.request,
          atMs: this.#now(),
        };
      }
      responses.push(response);
      // A failed read ends the poll: the rest would be dead-lettered with it anyway.
      const partial = decodePoll([block], [response]);
      if (!partial.ok) {
        return { ok: false, reason: partial.reason, raw: response.subarray(0, MAX_RAW), atMs: this.#now() };
      }
    }
    const decoded = decodePoll(this.blocks, responses);
    const atMs = this.#now();
    return decoded.ok
      ? { ok: true, fields: decoded.fields, atMs }
      : { ok: false, reason: decoded.reason, raw: Buffer.concat(responses).subarray(0, MAX_RAW), atMs };
  }

  /** Sends one request and resolves with its response, or undefined when nothing came within the timeout. */
  #request(block: ReadBlock): Promise<Buffer | undefined> {
    return new Promise<Buffer | undefined>((resolve, reject) => {
      let timeout: NodeJS.Timeout | undefined;
      const exchange: Exchange = {
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
            exchange.finish(true);
          }, this.device.timeout);
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
