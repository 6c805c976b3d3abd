// The contracts between the daemon and its connectors. A connector moves bytes and reports its state; the
// daemon's supervisor owns retries (jittered exponential backoff), the intake owns decoding and the write-ahead
// log, and the forwarder owns the outbox. Connectors know nothing of the engine.

/** The lifecycle every connector reports (eKuiper's Provision → Connect → Subscribe → Close). */
export type ConnectorState = 'connecting' | 'connected' | 'degraded' | 'stopped';

/** A logger with pino's call shape: a structured object first, then a short message. Secrets never go in. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One message as a transport received it, before decoding. */
export interface RawMessage {
  /** The payload bytes (MQTT payload, one serial frame). */
  payload: Buffer;
  /** MQTT topic, or a transport-specific source name (a serial path). */
  topic: string;
  /** Arrival time, epoch ms, read by the daemon's clock when the message arrived. */
  arrivalMs: number;
  /** The source's id for the message while it is unacknowledged (the MQTT packet id of a QoS 1 message). */
  sourceId?: string;
  /** The source says this may be a redelivery of a message it sent before (MQTT's DUP flag). The intake drops
   * it when it already holds that message (same sourceId, topic and payload): a crash between the write-ahead
   * log and the acknowledgement must not count a reading twice. */
  redelivered?: boolean;
  /** The transport could not make a message of these bytes (serial garbage, an overlong or truncated frame, a
   * Modbus timeout): the intake keeps the payload as a dead letter with this reason instead of decoding it. */
  error?: string;
}

/** A receiver's position in its source, saved with the records that reached it (see DeliverOptions). */
export type ProgressEntry = readonly [key: string, value: unknown];

export interface DeliverOptions {
  /**
   * Positions to save in the same atomic write as these messages: a file's byte offset, a Kafka partition's next
   * offset. `[key, value]` with a JSON value; `null` deletes the key. After a crash the saved position is exactly
   * where the records in the write-ahead log end, so a source without acknowledgements is read on from there
   * without loss or double counting. Read back with ReceiverHost.savedProgress(). Default: none.
   */
  progress?: readonly ProgressEntry[];
}

/** What the daemon gives a receiver. */
export interface ReceiverHost {
  /** Hands messages to the intake. Resolves once every message is durably in the write-ahead log (or in the
   * dead-letter store): only then may the receiver acknowledge its source. Waits while the intake is full
   * (backpressure): a receiver that awaits this stops reading. Rejects when the store cannot take them (disk
   * full): the receiver must not acknowledge then. With options.progress, the positions are saved in the
   * same write (a delivery with progress waits until the intake has room for all of it). */
  deliver(messages: readonly RawMessage[], options?: DeliverOptions): Promise<void>;
  /** The progress this receiver saved with its deliveries (its own keys, without any prefix). */
  savedProgress(): Promise<ReadonlyMap<string, unknown>>;
  /** Reports that the connection was lost after connect() had succeeded; the supervisor reconnects. */
  disconnected(err?: Error): void;
  readonly log: Logger;
}

export interface Receiver {
  /** One attempt to connect and subscribe. Resolves when connected; rejects with the reason. No retry loop:
   * the supervisor calls it again after a backoff. */
  connect(): Promise<void>;
  /** Stops reading and releases the connection; pending deliveries are abandoned unacknowledged. */
  close(): Promise<void>;
}

/** One output waiting in a sink's outbox. */
export interface OutboxEntry {
  /** Deterministic id (gateway/pipeline/key/windowStart): the same output recomputed after a crash has it. */
  id: string;
  /** The record's key (Kafka message key; sensor id). */
  key: string;
  /** The record, as JSON text. */
  value: string;
  /** When a send of this entry first failed, epoch ms: kept with it in the outbox, so a sink's retry limit
   * (the webhook's retryFor) counts across restarts. Set by the forwarder; absent until a send fails. */
  firstFailedMs?: number;
}

/** What the daemon gives a sink. */
export interface SinkHost {
  disconnected(err?: Error): void;
  readonly log: Logger;
  /** The state's durability: with `fsync`, a sink that writes local files syncs them before send() resolves. */
  readonly durability: 'process' | 'fsync';
}

export interface Sink {
  /** One attempt to connect. Resolves when ready to send; rejects with the reason. */
  connect(): Promise<void>;
  /** Sends entries in order; resolves when the far side has acknowledged all of them (then the forwarder
   * deletes them from the outbox). Rejects when any may not have arrived: they are sent again later. */
  send(entries: readonly OutboxEntry[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A send() that failed after the far side acknowledged the first `delivered` entries (a sink that sends one
 * entry at a time, like the webhook sink): the forwarder deletes those and sends the rest again later, after
 * the supervisor's backoff. `retryAfterMs`: the far side asked to wait this long (HTTP Retry-After); the sink
 * honours it in its next connect().
 */
export class SinkSendError extends Error {
  override readonly name = 'SinkSendError';
  constructor(
    message: string,
    readonly delivered: number,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A send() that failed for good on the entry at `index` (an HTTP 400: sending it again cannot help). The entries
 * before it were acknowledged. The forwarder deletes them, moves the failed entry to the sink's dead letters with
 * this message as the reason, and carries on with the next ones without a reconnect.
 */
export class PermanentSinkError extends Error {
  override readonly name = 'PermanentSinkError';
  constructor(
    message: string,
    readonly index: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** How a connector module is shaped: index.ts exports a factory per role. */
export interface ReceiverModule<Config> {
  createReceiver(id: string, config: Config, host: ReceiverHost, gatewayId: string): Receiver;
}

export interface SinkModule<Config> {
  createSink(id: string, config: Config, host: SinkHost): Sink;
}
