// The Kafka sink: one kafkajs producer (plain, acks all: idempotence needs nothing from the broker that the
// deterministic ids do not already give). Each send() is one producer.send of a chunk of the outbox, wrapped in
// our own timeout; after `recreateAfter` consecutive failures the producer is dropped and the next connect()
// builds a new one, because kafkajs does not always recover a broken connection on its own.
import { CompressionTypes, Kafka, Partitioners, type Producer } from 'kafkajs';
import { kafkaClientConfig, withTimeout } from '../../kafka/client.js';
import type { OutboxEntry, Sink, SinkHost } from '../../types.js';
import type { KafkaSinkConfig } from './config.js';

/** The header that carries an entry's deterministic id (gateway/pipeline/key/window). */
export const ID_HEADER = 'sluice-id';

export class KafkaSink implements Sink {
  private producer: Producer | undefined;
  private connected = false;
  /** Consecutive failed sends (and connects) since the last success. */
  private failures = 0;
  /** Producers thrown away after repeated failures, since start (for tests and status). */
  recreated = 0;

  constructor(
    readonly id: string,
    private readonly config: KafkaSinkConfig,
    private readonly host: SinkHost,
  ) {}

  async connect(): Promise<void> {
    if (this.producer !== undefined && this.connected) return;
    if (this.failures >= this.config.recreateAfter) await this.discard();
    const producer = (this.producer ??= this.createProducer());
    try {
      await withTimeout(producer.connect(), this.config.connectTimeout, 'connecting to the Kafka brokers');
    } catch (err) {
      this.failures++;
      // A half-connected producer would keep retrying in the background: the supervisor owns retries.
      await this.discard();
      throw err;
    }
    this.connected = true;
    // A fresh connection gets recreateAfter sends of its own before it is thrown away.
    this.failures = 0;
  }

  async send(entries: readonly OutboxEntry[]): Promise<void> {
    const producer = this.producer;
    if (producer === undefined || !this.connected) throw new Error(`kafka sink ${this.id} is not connected`);
    if (entries.length === 0) return;
    try {
      await withTimeout(
        producer.send({
          topic: this.config.topic,
          acks: -1,
          timeout: this.config.sendTimeout,
          compression: this.config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
          messages: entries.map((entry) => ({
            key: entry.key,
            value: entry.value,
            headers: { [ID_HEADER]: entry.id },
          })),
        }),
        this.config.sendTimeout,
        'waiting for Kafka to acknowledge a send',
      );
    } catch (err) {
      this.failures++;
      if (this.failures >= this.config.recreateAfter) {
        this.host.log.warn({ sink: this.id, failures: this.failures }, 'recreating the Kafka producer');
        this.recreated++;
        await this.discard();
      }
      throw err;
    }
    this.failures = 0;
  }

  async close(): Promise<void> {
    await this.discard();
  }

  private createProducer(): Producer {
    const { config } = this;
    const kafkaConfig = kafkaClientConfig(
      config,
      this.host.log,
      { sink: this.id },
      {
        connectionTimeout: config.connectTimeout,
        requestTimeout: config.sendTimeout,
      },
    );
    const producer = new Kafka(kafkaConfig).producer({
      allowAutoTopicCreation: false,
      // Java's murmur2 partitioner: a key lands in the same partition as from any Java/librdkafka producer.
      createPartitioner: Partitioners.DefaultPartitioner,
      // One request in flight: a retried batch can never overtake the next one (order per key).
      maxInFlightRequests: 1,
      idempotent: false,
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer !== producer || !this.connected) return;
      this.connected = false;
      this.host.disconnected(new Error('disconnected from the Kafka brokers'));
    });
    return producer;
  }

  /** Drops the producer; a later connect() creates a new one. */
  private async discard(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connected = false;
    if (producer === undefined) return;
    await withTimeout(producer.disconnect(), 5000, 'disconnecting the Kafka producer').catch(
      (err: unknown) => {
        this.host.log.debug({ sink: this.id, err }, 'Kafka producer did not disconnect cleanly');
      },
    );
  }
}
