// The MQTT sink: republishes each record as JSON on a topic made from its fields (`sluice/{pipeline}/{key}`), for
// local dashboards and actuators. One mqtt.js client, no automatic reconnect (the supervisor owns retries). A send
// publishes a chunk of the outbox in order and resolves once the broker acknowledged every message (PUBACK for
// QoS 1, PUBCOMP for QoS 2): only then does the forwarder delete them. A lost connection fails the send at once,
// reporting how many leading messages were acknowledged, and the rest go again after the reconnect.
import { hostname } from 'node:os';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  SinkSendError,
  PermanentSinkError,
  type OutboxEntry,
  type Sink,
  type SinkHost,
} from '../../types.js';
import type { MqttSinkConfig } from './config.js';

/**
 * The topic of one record: each `{field}` of the template replaced by that field of the record (a string or a
 * number). "+", "#" and NUL in a value become "_" (they cannot be part of a topic to publish to). Undefined when
 * the record lacks a named field.
 */
export function topicFor(template: string, record: Record<string, unknown>): string | undefined {
  const parts = template.split(/\{([^}]*)\}/);
  let topic = '';
  for (const [i, part] of parts.entries()) {
    if (i % 2 === 0) {
      topic += part;
      continue;
    }
    const value = record[part];
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    topic += String(value).replaceAll('+', '_').replaceAll('#', '_').replaceAll('\u0000', '_');
  }
  return topic;
}

export class MqttSink implements Sink {
  private client: MqttClient | undefined;
  /** Rejects the send in progress when the connection drops. */
  private abortSend: ((err: Error) => void) | undefined;

  constructor(
    readonly id: string,
    private readonly config: MqttSinkConfig,
    private readonly host: SinkHost,
  ) {}

  async connect(): Promise<void> {
    if (this.client?.connected === true) return;
    await this.discard();
    const { config } = this;
    const options: IClientOptions = {
      clientId: config.clientId ?? `sluice-${hostname()}-${this.id}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: config.connectTimeout,
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(config.password === undefined ? {} : { password: config.password.reveal() }),
      ...(config.tls === undefined
        ? {}
        : {
            rejectUnauthorized: config.tls.rejectUnauthorized,
            ...(config.tls.ca === undefined ? {} : { ca: config.tls.ca }),
            ...(config.tls.cert === undefined ? {} : { cert: config.tls.cert }),
            ...(config.tls.key === undefined ? {} : { key: config.tls.key.reveal() }),
          }),
    };
    const client = mqtt.connect(config.url, options);
    this.client = client;
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => {
          cleanup();
          reject(err);
        };
        const closed = (): void => {
          fail(new Error(`the MQTT broker ${config.url} closed the connection`));
        };
        const connected = (): void => {
          cleanup();
          resolve();
        };
        const cleanup = (): void => {
          client.off('error', fail);
          client.off('close', closed);
          client.off('connect', connected);
        };
        client.once('error', fail);
        client.once('close', closed);
        client.once('connect', connected);
      });
    } catch (err) {
      await this.discard();
      throw err;
    }
    client.on('error', (err) => {
      this.host.log.debug({ sink: this.id, err }, 'mqtt sink client error');
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      const err = new Error('lost the connection to the MQTT broker');
      this.abortSend?.(err);
      client.end(true);
      this.host.disconnected(err);
    });
  }

  async send(entries: readonly OutboxEntry[]): Promise<void> {
    const client = this.client;
    if (client?.connected !== true) throw new SinkSendError(`mqtt sink ${this.id} is not connected`, 0);
    const { qos, retain, topic: template } = this.config;
    let acknowledged = 0;
    const acked = new Array<boolean>(entries.length).fill(false);
    const publishes: Promise<void>[] = [];
    for (const [index, entry] of entries.entries()) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(entry.value) as Record<string, unknown>;
      } catch {
        record = {};
      }
      const topic = topicFor(template, record);
      if (topic === undefined) {
        // Publish nothing past it: the entries before it are acknowledged first, then it is refused for good.
        publishes.push(
          Promise.reject(new PermanentSinkError(`the record has no field for the topic ${template}`, index)),
        );
        break;
      }
      publishes.push(
        client.publishAsync(topic, entry.value, { qos, retain }).then(() => {
          acked[index] = true;
          while (acknowledged < acked.length && acked[acknowledged] === true) acknowledged++;
        }),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.abortSend = reject;
        timer = setTimeout(() => {
          reject(new Error(`no acknowledgement from the MQTT broker within ${this.config.sendTimeout} ms`));
        }, this.config.sendTimeout);
        Promise.all(publishes).then(() => {
          resolve();
        }, reject);
      });
    } catch (err) {
      // Wait for the publishes before the refused entry, so its index is exact.
      if (err instanceof PermanentSinkError) {
        await Promise.allSettled(publishes.slice(0, err.index));
        if (acknowledged === err.index) throw err;
      }
      throw new SinkSendError((err as Error).message, acknowledged, undefined, { cause: err });
    } finally {
      clearTimeout(timer);
      this.abortSend = undefined;
    }
  }

  async close(): Promise<void> {
    await this.discard();
  }

  private async discard(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    await client.endAsync(true).catch(() => undefined);
  }
}
