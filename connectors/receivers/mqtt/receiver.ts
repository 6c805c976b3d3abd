// The MQTT receiver: subscribes with a persistent session (clean: false, stable client id) and acknowledges each
// QoS 1/2 message only after the daemon's intake has it in the write-ahead log. One connect() is one attempt;
// the daemon's supervisor owns retries, so mqtt.js's own reconnect loop is off.
//
// Acknowledgements are pipelined: mqtt.js reads on while earlier messages are on their way into the WAL, the
// messages read meanwhile go to the intake together as the next deliver() (one deliver() in flight at a time, so
// WAL order is arrival order), and each PUBACK/PUBREC is sent only once its message is durable, in arrival order
// (acks.ts has the hook and its mqtt.js source lines). Never acknowledged before durability.
//
// How mqtt.js 5 gates reading (read in node_modules/mqtt/build/lib, version 5.16.0):
// - client.js:330-378 connect(): the socket is piped into a Writable whose `_write(buf, enc, done)` stores `done`
//   as `completeParse`, parses the chunk into `packets` and runs `work()`, which hands ONE packet to the handlers
//   with `nextTickWork` as their `done` (client.js:339); the next packet is taken only when that is called, and
//   `completeParse` only once the chunk's packets are all handled (client.js:350-359). Until then the pipe pulls
//   nothing from the socket, the socket stops reading and TCP holds the broker back.
// - handlers/publish.js:96-116, QoS 1: customHandleAcks → `client.handleMessage(packet, cb)` → in `cb`:
//   `_sendPacket({ cmd: 'puback' }, done)`; handlers/publish.js:122, QoS 0: `client.handleMessage(packet, done)`.
// - handlers/publish.js:70-94, QoS 2: `options.customHandleAcks(topic, message, packet, cb)` → in `cb`:
//   `incomingStore.put` → PUBREC → `done`. handleMessage comes only with PUBREL (handlers/pubrel.js:11) and gates
//   PUBCOMP. PUBREC already ends the sender's retransmission of the PUBLISH (and the default incoming store is
//   memory), so QoS 2 is taken in customHandleAcks, and its PUBREC is what waits for durability.
// - Backpressure: at most maxUndurable messages (and maxUndurableBytes of payload) are read and not yet durable;
//   above that, the mqtt.js callback of the newest one is held, which stops the pump as above (and the intake's
//   own bound holds deliver() back).
// - A handler error does not stop the pump (`nextTickWork` ignores its argument), and `_sendPacket` while
//   disconnected queues a non-PUBLISH packet such as a PUBACK for the NEXT connection (client.js:1122-1129).
//   Hence: on a failed delivery we drop the connection and send no acknowledgement for it or anything after it,
//   and every connect() builds a fresh client, so a late acknowledgement from a dead connection can never
//   acknowledge another message under a reused packet id.
// - The keepalive timer is rescheduled only by packets the pump handles (handlers/index.js:47-78): a pump held at
//   the bound ends the connection after 1.5 × keepalive (client.js:1227 "Keepalive timeout"). The same limit
//   applies to a delivery that has waited that long while the pump runs on, so a stuck intake shows as a lost
//   connection either way. Nothing is lost: the message was not acknowledged, and the broker sends it again.
import {
  connect as mqttConnect,
  ErrorWithSubackPacket,
  ReasonCodes,
  type IClientOptions,
  type IConnackPacket,
  type IDisconnectPacket,
  type ClientSubscribeCallback,
  type IPublishPacket,
  type MqttClient,
} from 'mqtt';
import type { RawMessage, Receiver, ReceiverHost } from '../../types.js';
import { AckQueue } from './acks.js';
import type { MqttReceiverConfig } from './config.js';
import { MqttReceiverError, receiverEvents, type ReceiverEvents } from './events.js';

/** How long one connect() waits for CONNACK and SUBACK together: mqtt.js's own connectTimeout default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** How long close() waits for a clean DISCONNECT before dropping the socket. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;
/** Messages read from the broker and not yet in the WAL before the receiver stops reading. At 1,000 the pump
 * stood still for about half of a 1M-message run (peers benchmark), waiting for the write in progress; at 4,000
 * it reads on meanwhile, and the next write takes more at once (fewer, larger group commits). */
export const DEFAULT_MAX_UNDURABLE = 4_000;
/** Payload bytes read and not yet in the WAL before the receiver stops reading: bounds the read-ahead's memory
 * when messages are large. */
export const DEFAULT_MAX_UNDURABLE_BYTES = 4 * 1024 * 1024;

export interface MqttReceiverOptions {
  /** Limit for one connect() attempt (CONNACK and SUBACK). Default: 30 000 ms. */
  connectTimeoutMs?: number;
  /** How long close() waits for the broker to see a clean DISCONNECT. Default: 2 000 ms. */
  closeTimeoutMs?: number;
  /** Messages read but not yet durable before the receiver stops reading (backpressure). Default: 4 000. */
  maxUndurable?: number;
  /** Payload bytes read but not yet durable before the receiver stops reading. Default: 4 MiB. */
  maxUndurableBytes?: number;
}

/** The client id: config.clientId, else `sluice-<gateway id>-<receiver id>`, the same on every start. */
export function mqttClientId(
  gatewayId: string,
  receiverId: string,
  config: Pick<MqttReceiverConfig, 'clientId'>,
): string {
  return config.clientId ?? `sluice-${gatewayId}-${receiverId}`;
}

const noLog = (): void => undefined;

/** Seconds for MQTT's 16-bit keepalive; 0 turns it off. */
function keepaliveSeconds(ms: number): number {
  return ms === 0 ? 0 : Math.min(0xffff, Math.max(1, Math.round(ms / 1000)));
}

/**
 * The mqtt.js options for one connection attempt (everything but the handlers). Exported for tests; holds the
 * revealed password and key, so never log it.
 */
export function mqttClientOptions(
  config: MqttReceiverConfig,
  clientId: string,
  connectTimeoutMs: number,
): IClientOptions {
  const options: IClientOptions = {
    protocolVersion: config.protocolVersion,
    clientId,
    // A persistent session: the broker keeps our subscriptions and queues QoS 1/2 messages while we are away.
    clean: false,
    // The supervisor reconnects (jittered backoff); mqtt.js's fixed-period loop must not.
    reconnectPeriod: 0,
    reconnectOnConnackError: false,
    resubscribe: false,
    connectTimeout: connectTimeoutMs,
    keepalive: keepaliveSeconds(config.keepalive),
    // We never publish, but if anything did while offline, QoS 0 must not pile up in memory.
    queueQoSZero: false,
    // Handlers are installed before the first packet can arrive.
    manualConnect: true,
    // mqtt.js logs through `debug` about ten times per message; even switched off, each call costs a check
    // (~2% of the daemon's CPU at 60k messages/s). The receiver reports what matters through its own events.
    log: noLog,
    // No topicAliasMaximum is announced, so the broker sends full topic names (handleMessage sees packet.topic).
  };
  if (config.protocolVersion === 5) {
    options.properties = {
      sessionExpiryInterval: Math.min(0xffffffff, Math.floor(config.sessionExpiry / 1000)),
    };
  }
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password.reveal();
  if (config.tls !== undefined) {
    options.rejectUnauthorized = config.tls.rejectUnauthorized;
    if (config.tls.ca !== undefined) options.ca = config.tls.ca;
    if (config.tls.cert !== undefined) options.cert = config.tls.cert;
    if (config.tls.key !== undefined) options.key = config.tls.key.reveal();
  }
  return options;
}

type SubackPacket = NonNullable<Parameters<ClientSubscribeCallback>[2]>;

function reasonName(code: number): string {
  const name = (ReasonCodes as Readonly<Record<number, string | undefined>>)[code] ?? 'unknown reason';
  return `0x${code.toString(16).padStart(2, '0')} ${name}`;
}

/** One network connection: a fresh mqtt.js client per connect() attempt. */
class Connection {
  client!: MqttClient;
  /** Until the connection ended or we dropped it: deliveries and acknowledgements happen only while live. */
  live = true;
  /** Set when connect() resolved on it: from then on its end is reported with host.disconnected(). */
  established = false;
  /** The first error seen on it: the reason given when it ends. */
  error: Error | undefined;
  /** deliver() calls in progress on it (0 or 1: the next one takes everything read meanwhile). */
  pending = 0;
  /** Acknowledgements waiting for durability, in arrival order. */
  readonly acks = new AckQueue();
  /** Messages read while a deliver() was in progress: the next deliver(). */
  batch: RawMessage[] = [];
  /** Messages read and not yet durable, and their payload bytes. */
  undurable = 0;
  undurableBytes = 0;
  /** The mqtt.js callback held because undurable reached the bound: calling it reads on. */
  held: (() => void) | undefined;
  /** A delivery failed: nothing more is delivered or acknowledged on this connection. */
  failed = false;
  /** While connect() runs: settle the attempt. */
  attempt: { succeed(): void; fail(err: Error): void } | undefined;

  /** `live`, read after an await (a method, so that no earlier check narrows it). */
  isLive(): boolean {
    return this.live;
  }
}

export class MqttReceiver implements Receiver {
  readonly #config: MqttReceiverConfig;
  readonly #host: ReceiverHost;
  readonly #events: ReceiverEvents;
  readonly #connectTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #maxUndurable: number;
  readonly #maxUndurableBytes: number;
  /** A delivery waiting longer than this ends the connection (1.5 × keepalive, as mqtt.js's own check); 0: never. */
  readonly #stallMs: number;
  readonly clientId: string;
  #conn: Connection | undefined;
  #closed = false;
  /** Whether this receiver subscribed once: later connections re-subscribe only if the broker lost the session. */
  #subscribed = false;

  constructor(
    readonly id: string,
    config: MqttReceiverConfig,
    host: ReceiverHost,
    gatewayId: string,
    options: MqttReceiverOptions = {},
  ) {
    this.#config = config;
    this.#host = host;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#maxUndurable = Math.max(1, options.maxUndurable ?? DEFAULT_MAX_UNDURABLE);
    this.#maxUndurableBytes = Math.max(1, options.maxUndurableBytes ?? DEFAULT_MAX_UNDURABLE_BYTES);
    this.#stallMs = Math.ceil(keepaliveSeconds(config.keepalive) * 1000 * 1.5);
    this.clientId = mqttClientId(gatewayId, id, config);
    this.#events = receiverEvents(host.log, { receiver: id, clientId: this.clientId, url: config.url });
  }

  /** deliver() calls waiting for the intake right now (at most one: messages read meanwhile wait for the next). */
  get pendingDeliveries(): number {
    return this.#conn?.pending ?? 0;
  }

  /** Messages read from the broker on the current connection and not yet in the WAL (at most maxUndurable + 1;
   * fewer when their payloads reach maxUndurableBytes). */
  get undurableMessages(): number {
    return this.#conn?.undurable ?? 0;
  }

  /**
   * One attempt: connect, then subscribe unless the broker resumed a session we subscribed in. Resolves on
   * CONNACK (+ SUBACK); rejects with an MqttReceiverError on a refusal, a SUBACK failure, a lost connection or
   * the timeout. Messages may be delivered before it resolves (a resumed session's queue arrives right after
   * CONNACK). Any previous connection is dropped first.
   */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new MqttReceiverError('closed', 'the receiver is closed'));
    if (this.#conn?.attempt !== undefined) {
      return Promise.reject(new MqttReceiverError('connect', 'connect() is already in progress'));
    }
    if (this.#conn !== undefined) this.#drop(this.#conn);
    const conn = new Connection();
    this.#conn = conn;
    const attempt = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.attempt?.fail(
          new MqttReceiverError(
            'timeout',
            `no CONNACK${this.#subscribed ? '' : ' and SUBACK'} from ${this.#config.url} within ${this.#connectTimeoutMs} ms`,
          ),
        );
      }, this.#connectTimeoutMs);
      conn.attempt = {
        succeed: () => {
          clearTimeout(timer);
          conn.attempt = undefined;
          conn.established = true;
          resolve();
        },
        fail: (err) => {
          clearTimeout(timer);
          conn.attempt = undefined;
          conn.error ??= err;
          this.#drop(conn);
          reject(err);
        },
      };
    });
    this.#events.connecting(this.#config.protocolVersion);
    conn.client = this.#createClient(conn);
    conn.client.connect();
    return attempt;
  }

  /** Stops reading and delivering; pending deliveries are abandoned unacknowledged (the broker keeps them). */
  async close(): Promise<void> {
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn === undefined) return;
    const pending = conn.pending;
    conn.attempt?.fail(new MqttReceiverError('closed', 'the receiver was closed while connecting'));
    conn.live = false;
    conn.acks.close();
    // With a delivery pending the pump is stalled and would not read the broker's EOF: no point waiting.
    await endClient(conn.client, pending > 0 ? 0 : this.#closeTimeoutMs);
    this.#events.closed(pending);
  }

  #createClient(conn: Connection): MqttClient {
    const client = mqttConnect(
      this.#config.url,
      mqttClientOptions(this.#config, this.clientId, this.#connectTimeoutMs),
    );
    conn.acks.hook(client);
    // QoS 2: taken before PUBREC (see the header); QoS 1 passes on to handleMessage, before PUBACK. Set on
    // client.options because the constructor keeps a customHandleAcks option only for MQTT 5 (client.js: "options.
    // protocolVersion === 5 && options.customHandleAcks"), while handlers/publish.js calls it for every version.
    client.options.customHandleAcks = (_topic, _payload, packet: IPublishPacket, done) => {
      if (packet.qos !== 2) {
        done(0);
        return;
      }
      this.#receive(conn, packet, () => {
        done(0);
      });
    };
    // QoS 0 and 1: the callback reads on and, for QoS 1, tries to send PUBACK, which the AckQueue parks until the
    // message is durable. Never called back once the connection failed or is gone: the broker redelivers.
    client.handleMessage = (packet, callback) => {
      if (packet.qos === 2) {
        // Called from PUBREL with the stored PUBLISH, durable before its PUBREC went out: release PUBCOMP.
        callback();
        return;
      }
      this.#receive(conn, packet, callback);
    };
    client.once('connect', (connack) => {
      this.#onConnack(conn, connack);
    });
    client.on('error', (err) => {
      this.#onError(conn, err);
    });
    client.on('disconnect', (packet) => {
      this.#onServerDisconnect(conn, packet);
    });
    client.on('close', () => {
      this.#onClose(conn);
    });
    return client;
  }

  /** Takes one message read from the broker: queues it for the intake and reads on unless at the bound. */
  #receive(conn: Connection, packet: IPublishPacket, readOn: () => void): void {
    if (!conn.live || conn.failed) return;
    const message: RawMessage = {
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      topic: packet.topic,
      arrivalMs: Date.now(),
    };
    // For the intake's redelivery filter: the packet id names a QoS 1/2 message while it is unacknowledged,
    // and DUP says the broker sent it before (e.g. we crashed between the write-ahead log and the PUBACK).
    // Set on the object rather than spread in: no temporary object per message.
    if (packet.qos > 0 && packet.messageId !== undefined) message.sourceId = String(packet.messageId);
    if (packet.dup) message.redelivered = true;
    conn.batch.push(message);
    conn.acks.add(packet.qos, packet.messageId);
    conn.undurable += 1;
    conn.undurableBytes += message.payload.length;
    this.#deliverNext(conn);
    if (this.#hasRoom(conn)) readOn();
    else conn.held = readOn;
  }

  /** Whether the read-ahead is under both bounds (then mqtt.js may read the next packet). */
  #hasRoom(conn: Connection): boolean {
    return conn.undurable <= this.#maxUndurable && conn.undurableBytes <= this.#maxUndurableBytes;
  }

  /** Hands what was read to the intake, unless a delivery is in progress (then the next one takes it). */
  #deliverNext(conn: Connection): void {
    if (conn.pending > 0 || conn.batch.length === 0 || !conn.live || conn.failed) return;
    const messages = conn.batch;
    conn.batch = [];
    conn.pending = 1;
    const stall =
      this.#stallMs > 0
        ? setTimeout(() => {
            if (!conn.live || conn.failed) return;
            this.#abort(
              conn,
              new MqttReceiverError(
                'lost',
                'keepalive expired while a message waited for the intake (backpressure longer than 1.5 × ' +
                  'keepalive); the broker redelivers it',
              ),
            );
          }, this.#stallMs).unref()
        : undefined;
    this.#host.deliver(messages).then(
      () => {
        clearTimeout(stall);
        conn.pending = 0;
        if (!conn.isLive() || conn.failed) return;
        conn.undurable -= messages.length;
        for (const m of messages) conn.undurableBytes -= m.payload.length;
        // One delivery at a time, each of the messages read before it: durability comes in arrival order.
        conn.acks.durable(messages.length);
        const held = conn.held;
        if (held !== undefined && this.#hasRoom(conn)) {
          conn.held = undefined;
          held();
        }
        this.#deliverNext(conn);
      },
      (err: unknown) => {
        clearTimeout(stall);
        conn.pending = 0;
        if (!conn.isLive() || conn.failed) return;
        // No acknowledgement for these or anything read after them; the broker redelivers all of them.
        conn.failed = true;
        conn.acks.close();
        const topic = messages[0]?.topic ?? '';
        this.#events.deliverFailed(err, topic);
        this.#abort(
          conn,
          new MqttReceiverError(
            'deliver',
            'the intake refused a message; dropped the connection without acknowledging, so the broker redelivers it',
            { cause: err, topic },
          ),
        );
      },
    );
  }

  #onConnack(conn: Connection, connack: IConnackPacket): void {
    if (!conn.live) return;
    const sessionPresent = connack.sessionPresent;
    if (sessionPresent && this.#subscribed) {
      this.#events.connected(true, false);
      conn.attempt?.succeed();
      return;
    }
    // The first connection of this receiver always subscribes, even to a resumed session: the topics may have
    // changed since that session was made. MQTT 5's retain handling 1 then skips re-sending retained messages.
    if (this.#subscribed) this.#events.sessionLost(this.#config.topics);
    const options =
      this.#config.protocolVersion === 5 ? { qos: this.#config.qos, rh: 1 } : { qos: this.#config.qos };
    conn.client.subscribe([...this.#config.topics], options, (err, _granted, suback) => {
      this.#onSuback(
        conn,
        sessionPresent,
        err,
        suback ?? (err instanceof ErrorWithSubackPacket ? err.packet : undefined),
      );
    });
  }

  #onSuback(
    conn: Connection,
    sessionPresent: boolean,
    err: Error | null,
    suback: SubackPacket | undefined,
  ): void {
    if (!conn.live || conn.attempt === undefined) return;
    const topics = this.#config.topics;
    if (suback === undefined) {
      conn.attempt.fail(
        new MqttReceiverError(
          'subscribe',
          `subscribing to ${topics.join(', ')} failed: ${err?.message ?? 'no SUBACK'}`,
          {
            cause: err ?? undefined,
          },
        ),
      );
      return;
    }
    const codes = (suback.granted as readonly unknown[]).map((code) =>
      typeof code === 'number' ? code : 0x80,
    );
    const refused = topics.flatMap((topic, i) => {
      const code = codes[i] ?? 0x80;
      return code >= 0x80 ? [{ topic, code }] : [];
    });
    const [first] = refused;
    if (first !== undefined) {
      const list = refused.map(({ topic, code }) => `"${topic}" (SUBACK ${reasonName(code)})`).join(', ');
      conn.attempt.fail(
        new MqttReceiverError(
          'subscribe',
          `the broker refused the subscription to ${list}: check the broker's ACL (read access for client id ` +
            `"${this.clientId}") and the topic filter`,
          { reasonCode: first.code, topic: first.topic },
        ),
      );
      return;
    }
    topics.forEach((topic, i) => {
      const granted = codes[i] ?? 0;
      if (granted < this.#config.qos) this.#events.qosDowngraded(topic, this.#config.qos, granted);
    });
    this.#subscribed = true;
    this.#events.connected(sessionPresent, true);
    conn.attempt.succeed();
  }

  #onError(conn: Connection, err: Error): void {
    if (!conn.live) return;
    const code = (err as { code?: unknown }).code;
    const reasonCode = typeof code === 'number' ? code : undefined;
    let error: MqttReceiverError;
    if (!conn.established) {
      error = new MqttReceiverError('connect', `cannot connect to ${this.#config.url}: ${err.message}`, {
        cause: err,
        reasonCode,
      });
    } else if (err.message === 'Keepalive timeout' && conn.pending > 0) {
      error = new MqttReceiverError(
        'lost',
        'keepalive expired while a message waited for the intake (backpressure longer than 1.5 × keepalive); ' +
          'the broker redelivers it',
        { cause: err },
      );
    } else {
      error = new MqttReceiverError('lost', `connection to ${this.#config.url} failed: ${err.message}`, {
        cause: err,
        reasonCode,
      });
    }
    // Whatever mqtt.js reports leaves the connection ended or in doubt: drop it, the supervisor reconnects.
    this.#abort(conn, error);
  }

  /** MQTT 5: the broker says why it is about to close the connection (e.g. 0x8e: another client took the id). */
  #onServerDisconnect(conn: Connection, packet: IDisconnectPacket): void {
    if (!conn.live) return;
    const code = packet.reasonCode ?? 0;
    conn.error ??= new MqttReceiverError('lost', `the broker disconnected the client: ${reasonName(code)}`, {
      reasonCode: code,
    });
  }

  #onClose(conn: Connection): void {
    if (!conn.live) return;
    if (conn.attempt !== undefined) {
      conn.attempt.fail(
        conn.error ??
          new MqttReceiverError(
            'connect',
            `the connection to ${this.#config.url} closed before it was ready`,
          ),
      );
      return;
    }
    conn.live = false;
    conn.acks.close();
    const err = conn.error ?? new MqttReceiverError('lost', `the broker closed the connection`);
    this.#events.connectionLost(err);
    this.#host.disconnected(err);
  }

  /** Ends a connection because of err; reported through the attempt, or through 'close' → disconnected(). */
  #abort(conn: Connection, err: Error): void {
    conn.error ??= err;
    conn.acks.close();
    if (conn.attempt !== undefined) {
      conn.attempt.fail(err);
      return;
    }
    conn.client.end(true);
  }

  /** Ends a connection silently (replaced, failed attempt, closed). */
  #drop(conn: Connection): void {
    conn.live = false;
    conn.acks.close();
    conn.client.end(true);
  }
}

/**
 * Ends a client: DISCONNECT and wait up to timeoutMs for the socket to close, then destroy it (0: destroy now).
 * Always resolves within timeoutMs, whatever state mqtt.js is in.
 */
function endClient(client: MqttClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            client.stream.destroy();
            resolve();
          }, timeoutMs)
        : undefined;
    client.end(timeoutMs === 0, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
