// The MQTT receiver with `embedded:`: Sluice is the broker (aedes, in-process), so sensors publish straight to the
// gateway. Messages on the receiver's topics go to the intake from aedes's authorizePublish hook, which runs
// before aedes acknowledges a publisher (PUBACK for QoS 1, PUBREC for QoS 2): a publisher's message is
// acknowledged only once it is in the write-ahead log, exactly as with an outside broker, and without a loopback
// hop. If the intake refuses it (disk full), the publisher's connection is closed unacknowledged and the
// publisher sends it again. A retransmission (DUP) of a message already held is dropped by the intake's
// redelivery filter (source id: client id and packet id).
//
// It stays a broker for everyone else: other clients may subscribe (a dashboard, mosquitto_sub) and get every
// message. aedes keeps its sessions and retained messages in memory: they do not survive a restart.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Aedes, AuthenticateError, Client, PublishPacket } from 'aedes';
import type { Receiver, ReceiverHost } from '../../types.js';
import type { MqttReceiverConfig } from './config.js';
import { topicMatcher } from './topic-filter.js';

/** The part of aedes's persistence used here: a QoS 2 message received and not yet released (PUBREL). */
interface IncomingStore {
  incomingGetPacket(client: Client, packet: { messageId?: number | undefined }): Promise<unknown>;
}

/** Deliveries pending for one publisher before its socket is paused (backpressure). */
const MAX_PENDING_PER_CLIENT = 256;

export class EmbeddedBrokerError extends Error {
  override readonly name = 'EmbeddedBrokerError';
}

/** What aedes needs to refuse a CONNECT with "bad user name or password" (return code 4). */
function authError(): AuthenticateError {
  // aedes types returnCode as a const enum (AuthErrorCode), which isolated modules cannot import: 4 is its value.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
  return Object.assign(new Error('bad user name or password'), { returnCode: 4 });
}

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

export class EmbeddedBrokerReceiver implements Receiver {
  readonly #config: MqttReceiverConfig;
  readonly #host: ReceiverHost;
  readonly #matches: (topic: string) => boolean;
  #broker: Aedes | undefined;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #pending = new Map<Client, number>();
  #closed = false;
  /** Messages handed to the intake since start. */
  received = 0;

  constructor(
    readonly id: string,
    config: MqttReceiverConfig,
    host: ReceiverHost,
  ) {
    this.#config = config;
    this.#host = host;
    this.#matches = topicMatcher(config.topics);
  }

  /** The port the broker listens on (the configured one, or the one picked for port 0). */
  get port(): number | undefined {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** Clients connected to the broker now. */
  get clients(): number {
    return this.#broker?.connectedClients ?? 0;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new EmbeddedBrokerError('the receiver is closed');
    await this.#shutdown();
    const embedded = this.#config.embedded;
    if (embedded === undefined) throw new EmbeddedBrokerError('no embedded broker configured');
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker({
      id: `sluice-${this.id}`,
      authenticate: (client, username, password, done) => {
        this.#authenticate(username, password, done);
      },
      authorizePublish: (client, packet, done) => {
        this.#publish(client, packet, done);
      },
    });
    broker.on('clientError', (client, err) => {
      this.#host.log.debug({ receiver: this.id, client: client.id, err }, 'mqtt client error');
    });
    broker.on('connectionError', (client, err) => {
      this.#host.log.debug({ receiver: this.id, err }, 'mqtt connection refused');
    });
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      broker.handle(socket);
    });
    this.#broker = broker;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        reject(
          new EmbeddedBrokerError(
            `the embedded MQTT broker cannot listen on ${embedded.host}:${String(embedded.port)}: ${err.message}`,
            { cause: err },
          ),
        );
      });
      server.listen({ host: embedded.host, port: embedded.port }, resolve);
    }).catch(async (err: unknown) => {
      await this.#shutdown();
      throw err;
    });
    if (this.#isClosed()) {
      await this.#shutdown();
      throw new EmbeddedBrokerError('the receiver was closed while starting');
    }
    server.on('error', (err) => {
      if (this.#server !== server) return;
      this.#host.log.warn({ receiver: this.id, err }, 'embedded mqtt broker failed');
      void this.#shutdown();
      this.#host.disconnected(err);
    });
    this.#host.log.info(
      { receiver: this.id, host: embedded.host, port: this.port, topics: this.#config.topics },
      'embedded mqtt broker listening',
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#shutdown();
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    const broker = this.#broker;
    const server = this.#server;
    this.#broker = undefined;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#pending.clear();
    if (server?.listening === true) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
    if (broker !== undefined && !broker.closed) {
      await new Promise<void>((resolve) => {
        broker.close(resolve);
      });
    }
  }

  /** Clients present the receiver's username and password when it has them; anyone may connect otherwise. */
  #authenticate(
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const { username: user, password: secret } = this.#config;
    if (user === undefined && secret === undefined) {
      done(null, true);
      return;
    }
    const ok =
      username === (user ?? username) &&
      password !== undefined &&
      timingSafeEqual(digest(password), digest(secret?.reveal() ?? ''));
    if (ok) done(null, true);
    else done(authError(), false);
  }

  /** aedes's hook before it acknowledges a publisher: the message goes to the intake first. */
  #publish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const { topic } = packet;
    if (topic.startsWith('$SYS')) {
      done(new EmbeddedBrokerError('$SYS topics are reserved'));
      return;
    }
    if (!this.#matches(topic) || this.#closed) {
      done(null);
      return;
    }
    const persistence = (this.#broker as { persistence?: IncomingStore } | undefined)?.persistence;
    if (packet.qos === 2 && client !== null && persistence !== undefined) {
      // A QoS 2 message aedes already holds (sent again before PUBREL, with or without DUP: MQTT.js sets none)
      // is in the WAL already; aedes answers it with PUBREC and does not publish it again. Neither do we.
      persistence.incomingGetPacket(client, packet).then(
        () => {
          done(null);
        },
        () => {
          this.#deliver(client, packet, done);
        },
      );
      return;
    }
    this.#deliver(client, packet, done);
  }

  /** Hands one message to the intake; done (aedes's acknowledgement to the publisher) once it is durable. */
  #deliver(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const { topic } = packet;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const qos = packet.qos;
    const sourceId =
      qos > 0 && client !== null && packet.messageId !== undefined
        ? `${client.id}:${String(packet.messageId)}`
        : undefined;
    const pending = client === null ? 0 : (this.#pending.get(client) ?? 0) + 1;
    if (client !== null) {
      this.#pending.set(client, pending);
      if (pending === MAX_PENDING_PER_CLIENT) client.conn.pause();
    }
    this.#host
      .deliver([
        {
          payload,
          topic,
          arrivalMs: Date.now(),
          ...(sourceId === undefined ? {} : { sourceId, redelivered: packet.dup }),
        },
      ])
      .then(
        () => {
          this.received++;
          done(null);
        },
        (err: unknown) => {
          this.#host.log.warn(
            { receiver: this.id, client: client?.id, err },
            'intake refused an mqtt message; closing the publisher unacknowledged',
          );
          done(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => {
        if (client === null) return;
        const left = (this.#pending.get(client) ?? 1) - 1;
        if (left === 0) this.#pending.delete(client);
        else this.#pending.set(client, left);
        if (left === MAX_PENDING_PER_CLIENT - 1) client.conn.resume();
      });
  }
}
