// Test doubles for the MQTT receiver tests: a ReceiverHost that records what it is given (and can be told to
// hold or refuse deliveries), waiting for events with a timeout instead of sleeping, plus small helpers.
import { EventEmitter } from 'node:events';
import { connectAsync } from 'mqtt';
import {
  mqttReceiverConfigSchema,
  type MqttReceiverConfig,
} from '../../../../connectors/receivers/mqtt/config.js';
import type { DeliverOptions, Logger, RawMessage, ReceiverHost } from '../../../../connectors/types.js';

const WAIT_TIMEOUT_MS = 15_000;

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

/** How deliver() behaves: resolve at once, hold until release(), or reject as a full disk would. */
export type DeliverMode = 'accept' | 'block' | 'reject';

/**
 * A ReceiverHost that appends delivered messages to `messages` when deliver() resolves (the moment they would
 * be in the write-ahead log), counts calls and records disconnected() reports and log entries.
 */
export class TestHost implements ReceiverHost {
  readonly messages: RawMessage[] = [];
  readonly disconnects: (Error | undefined)[] = [];
  readonly logs: LogEntry[] = [];
  /** Progress saved with deliveries (as the intake keeps it in its store), by key. */
  readonly progress = new Map<string, unknown>();
  /** deliver() calls so far. */
  calls = 0;
  /** deliver() calls started but not settled. */
  pending = 0;
  /** The most deliver() calls ever pending at once. */
  maxPending = 0;
  mode: DeliverMode;
  readonly #changed = new EventEmitter();
  readonly #held: { messages: readonly RawMessage[]; resolve: () => void }[] = [];

  constructor(mode: DeliverMode = 'accept') {
    this.mode = mode;
    this.#changed.setMaxListeners(100);
  }

  readonly log: Logger = {
    debug: (obj, msg) => {
      this.#record('debug', obj, msg);
    },
    info: (obj, msg) => {
      this.#record('info', obj, msg);
    },
    warn: (obj, msg) => {
      this.#record('warn', obj, msg);
    },
    error: (obj, msg) => {
      this.#record('error', obj, msg);
    },
  };

  deliver(messages: readonly RawMessage[], options: DeliverOptions = {}): Promise<void> {
    this.calls += 1;
    if (this.mode === 'reject') {
      this.#emit();
      return Promise.reject(new Error('disk full (test)'));
    }
    this.pending += 1;
    this.maxPending = Math.max(this.maxPending, this.pending);
    const settle = (): void => {
      this.pending -= 1;
      this.messages.push(...messages);
      for (const [key, value] of options.progress ?? []) {
        if (value === null) this.progress.delete(key);
        else this.progress.set(key, value);
      }
      this.#emit();
    };
    if (this.mode === 'accept') {
      settle();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#held.push({
        messages,
        resolve: () => {
          settle();
          resolve();
        },
      });
      this.#emit();
    });
  }

  disconnected(err?: Error): void {
    this.disconnects.push(err);
    this.#emit();
  }

  savedProgress(): Promise<ReadonlyMap<string, unknown>> {
    return Promise.resolve(new Map(this.progress));
  }

  /** Resolves the held deliveries (in order) and accepts from now on. */
  release(): void {
    this.mode = 'accept';
    for (const held of this.#held.splice(0)) held.resolve();
  }

  /** The payloads delivered so far, as text. */
  payloads(): string[] {
    return this.messages.map((message) => message.payload.toString());
  }

  /** Resolves once predicate() holds, re-checking on every delivery, report and log entry. */
  waitFor(what: string, predicate: () => boolean, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
    return waitForEvent(this.#changed, 'change', what, predicate, timeoutMs, () => this.#describe());
  }

  /** Resolves once at least n messages were delivered. */
  waitForMessages(n: number, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
    return this.waitFor(`${n} delivered messages`, () => this.messages.length >= n, timeoutMs);
  }

  #record(level: LogEntry['level'], obj: object, msg: string): void {
    this.logs.push({ level, obj, msg });
    this.#emit();
  }

  #emit(): void {
    this.#changed.emit('change');
  }

  #describe(): string {
    return `calls=${this.calls} pending=${this.pending} delivered=[${this.payloads().join(',')}] disconnects=${this.disconnects.length}`;
  }
}

/** Resolves once predicate() holds, checked now and on every `event` of emitter; rejects after timeoutMs. */
export function waitForEvent(
  emitter: EventEmitter,
  event: string,
  what: string,
  predicate: () => boolean,
  timeoutMs = WAIT_TIMEOUT_MS,
  describe: () => string = () => '',
): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!predicate()) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve();
    };
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${describe()}`));
    }, timeoutMs);
    emitter.on(event, check);
  });
}

/** The fields a receiver fills for the intake's redelivery filter (the packet id and MQTT's DUP flag). */
export function sourceFields(message: RawMessage | undefined): { sourceId: unknown; redelivered: unknown } {
  return {
    sourceId: message !== undefined && 'sourceId' in message ? message.sourceId : undefined,
    redelivered: message !== undefined && 'redelivered' in message ? message.redelivered : undefined,
  };
}

/** A receiver config as the daemon would have it: parsed by the real schema, defaults filled in. */
export function receiverConfig(input: {
  url: string;
  topics: string[];
  qos?: 0 | 1 | 2;
  protocolVersion?: 4 | 5;
  clientId?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
}): MqttReceiverConfig & { embedded?: undefined } {
  return { ...mqttReceiverConfigSchema.parse({ type: 'mqtt', ...input }), embedded: undefined };
}

/** Publishes with an mqtt.js client (its own clean session); resolves once every message is acknowledged. */
export async function publishWithMqttJs(
  url: string,
  topic: string,
  payloads: readonly (string | Buffer)[],
  options: { qos: 0 | 1 | 2; protocolVersion: 4 | 5 },
): Promise<void> {
  const client = await connectAsync(url, {
    protocolVersion: options.protocolVersion,
    reconnectPeriod: 0,
    clean: true,
  });
  try {
    await Promise.all(payloads.map((payload) => client.publishAsync(topic, payload, { qos: options.qos })));
  } finally {
    await client.endAsync();
  }
}

/** Counts the broker's log lines that record a subscription of clientId to topic (log_type subscribe). */
export function subscriptionsLogged(brokerLog: string, clientId: string, topic: string): number {
  const line = new RegExp(`^\\S+: ${escapeRegExp(clientId)} \\d ${escapeRegExp(topic)}$`, 'gm');
  return [...brokerLog.matchAll(line)].length;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
