// The Kafka receiver: one kafkajs consumer in a consumer group, Spark's direct approach. Each fetched batch of a
// partition goes to the intake with that partition's next offset as progress, written in the same atomic LevelDB
// write as the batch's records. On every (re)connect the receiver reads the saved offsets back and seeks each
// assigned partition to them when the group assigns it, so after a kill -9 it reads on exactly after what is
// durable: nothing lost, nothing counted twice. Offsets are committed to Kafka too, but only as a convenience
// (lag tools, a fresh state directory); the saved ones win.
//
// Backpressure: one deliver() at a time; while one waits for room in the intake the consumer is paused (and keeps
// its group membership with heartbeats), then resumed.
import { Kafka, type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import { kafkaClientConfig, withTimeout } from '../../kafka/client.js';
import type { RawMessage, Receiver, ReceiverHost } from '../../types.js';
import type { KafkaReceiverConfig } from './config.js';

/** A deliver() still pending after this long means the intake is full: the consumer is paused. */
const PAUSE_AFTER_MS = 200;
/** Heartbeats while a delivery waits, so the group does not take the partitions away. */
const HEARTBEAT_MS = 3000;
const EMPTY = Buffer.alloc(0);
/** Longest a fetch waits for data before answering empty. */
const FETCH_WAIT_MS = 500;
/** How often consumed offsets are committed to Kafka too. */
const KAFKA_COMMIT_MS = 5000;

/** The consumer group of receiver `id` on gateway `gatewayId`, unless configured. */
export function kafkaGroupId(gatewayId: string, id: string): string {
  return `sluice-${gatewayId}-${id}`;
}

/** The progress key of one partition: `<topic>/<partition>` (topic names cannot hold "/"). */
function streamKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export class KafkaReceiver implements Receiver {
  readonly groupId: string;
  private consumer: Consumer | undefined;
  /** Per partition, the first offset not yet durable (what the saved progress says, then what was delivered). */
  private next = new Map<string, bigint>();
  /** The delivery in progress (settled, never rejecting), awaited before the saved progress is read back. */
  private delivering: Promise<void> = Promise.resolve();
  private closed = false;
  /** Durable offsets not yet committed to Kafka, per partition. */
  private readonly uncommitted = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer: NodeJS.Timeout | undefined;
  /** True while a pending delivery holds the consumer paused (for status and tests). */
  paused = false;
  /** Messages skipped because they were already durable (fetched from before a seek took effect). */
  skipped = 0;

  constructor(
    readonly id: string,
    private readonly config: KafkaReceiverConfig,
    private readonly host: ReceiverHost,
    gatewayId: string,
  ) {
    this.groupId = config.groupId ?? kafkaGroupId(gatewayId, id);
  }

  async connect(): Promise<void> {
    this.closed = false;
    await this.discard();
    // Whatever the last consumer was delivering settles first: the saved progress then says exactly what is
    // durable, and the new consumer starts right after it.
    await this.delivering;
    const saved = await this.host.savedProgress();
    this.next = new Map();
    for (const [key, value] of saved) {
      if (typeof value === 'string' && /^\d+$/.test(value)) this.next.set(key, BigInt(value));
    }
    const consumer = this.createConsumer();
    this.consumer = consumer;
    try {
      await withTimeout(
        (async () => {
          await consumer.connect();
          await consumer.subscribe({
            topics: [...this.config.topics],
            fromBeginning: this.config.start === 'earliest',
          });
          // Resolves once the group is joined (GROUP_JOIN has sought the assigned partitions).
          await consumer.run({
            // kafkajs's auto-commit commits after every batch; Kafka's copy is only for lag tools and a fresh
            // state directory, so the receiver commits the durable offsets itself every few seconds.
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 1,
            eachBatch: (payload) => this.onBatch(consumer, payload),
          });
        })(),
        this.config.connectTimeout + this.config.sessionTimeout,
        'connecting to Kafka and joining the consumer group',
      );
    } catch (err) {
      await this.discard();
      throw err;
    }
    if (this.consumer !== consumer) throw new Error(`kafka receiver ${this.id} was closed while connecting`);
    this.commitTimer = setInterval(() => {
      void this.commitToKafka(consumer);
    }, KAFKA_COMMIT_MS);
    this.commitTimer.unref();
    this.host.log.info({ receiver: this.id, group: this.groupId }, 'kafka consumer joined');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.discard();
  }

  private createConsumer(): Consumer {
    const kafka = new Kafka(
      kafkaClientConfig(
        this.config,
        this.host.log,
        { receiver: this.id },
        {
          connectionTimeout: this.config.connectTimeout,
          requestTimeout: Math.max(30_000, this.config.sessionTimeout + 5000),
        },
      ),
    );
    const consumer = kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.config.sessionTimeout,
      rebalanceTimeout: Math.max(this.config.sessionTimeout, 10_000),
      heartbeatInterval: Math.min(HEARTBEAT_MS, Math.floor(this.config.sessionTimeout / 3)),
      allowAutoTopicCreation: false,
      // How long a fetch may wait for new data: the longest an idle partition's first message can wait.
      maxWaitTimeInMs: FETCH_WAIT_MS,
      // The supervisor owns restarts: a crashed consumer is reported, not restarted by kafkajs.
      retry: {
        retries: 2,
        initialRetryTime: 100,
        maxRetryTime: 1000,
        restartOnFailure: () => Promise.resolve(false),
      },
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const offset = this.next.get(streamKey(topic, partition));
          if (offset !== undefined) consumer.seek({ topic, partition, offset: offset.toString() });
        }
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.consumer !== consumer) return;
      this.lost(consumer, payload.error);
    });
    return consumer;
  }

  private async onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.consumer !== consumer || !payload.isRunning() || payload.isStale()) return;
    const stream = streamKey(batch.topic, batch.partition);
    const from = this.next.get(stream);
    const fresh: KafkaMessage[] = [];
    for (const message of batch.messages) {
      if (from !== undefined && BigInt(message.offset) < from) this.skipped++;
      else fresh.push(message);
    }
    const last = fresh.at(-1);
    if (last === undefined) return;
    const nextOffset = BigInt(last.offset) + 1n;
    const arrivalMs = Date.now();
    const messages: RawMessage[] = fresh.map((m) => ({
      payload: m.value ?? EMPTY,
      topic: batch.topic,
      arrivalMs,
    }));
    const delivery = this.host.deliver(messages, { progress: [[stream, nextOffset.toString()]] });
    this.delivering = delivery.then(
      () => undefined,
      () => undefined,
    );
    try {
      await this.whileDelivering(consumer, delivery, () => payload.heartbeat());
    } catch (err) {
      // Not durable: this consumer is done; the next connect() reads on from the saved progress.
      this.lost(consumer, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.consumer !== consumer) return;
    this.next.set(stream, nextOffset);
    this.uncommitted.set(stream, {
      topic: batch.topic,
      partition: batch.partition,
      offset: nextOffset.toString(),
    });
    payload.resolveOffset(last.offset);
  }

  /** Commits the durable offsets to Kafka as well: a convenience for lag tools, never read back by Sluice. */
  private async commitToKafka(consumer: Consumer): Promise<void> {
    if (this.uncommitted.size === 0 || this.consumer !== consumer) return;
    const offsets = [...this.uncommitted.values()];
    this.uncommitted.clear();
    await consumer.commitOffsets(offsets).catch((err: unknown) => {
      this.host.log.debug({ receiver: this.id, err }, 'committing offsets to Kafka failed (they are saved)');
    });
  }

  /** Awaits a delivery; if it waits for room in the intake, pauses the consumer and heartbeats meanwhile. */
  private async whileDelivering(
    consumer: Consumer,
    delivery: Promise<void>,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const done = delivery.then(() => 'done' as const);
    let wait = PAUSE_AFTER_MS;
    let paused = false;
    try {
      for (;;) {
        if ((await Promise.race([done, sleep(wait)])) === 'done') break;
        if (!paused && !this.closed) {
          paused = true;
          this.paused = true;
          consumer.pause(this.config.topics.map((topic) => ({ topic })));
          this.host.log.debug({ receiver: this.id }, 'intake full; kafka consumer paused');
        }
        await heartbeat().catch(() => undefined);
        wait = HEARTBEAT_MS;
      }
    } finally {
      if (paused) {
        this.paused = false;
        if (this.consumer === consumer) consumer.resume(this.config.topics.map((topic) => ({ topic })));
      }
    }
  }

  /** The consumer failed after connect(): drop it and let the supervisor reconnect. */
  private lost(consumer: Consumer, err: Error): void {
    if (this.consumer !== consumer || this.closed) return;
    this.consumer = undefined;
    void consumer.disconnect().catch(() => undefined);
    this.host.disconnected(err);
  }

  private async discard(): Promise<void> {
    clearInterval(this.commitTimer);
    const consumer = this.consumer;
    if (consumer !== undefined) await this.commitToKafka(consumer);
    this.consumer = undefined;
    this.uncommitted.clear();
    if (consumer === undefined) return;
    await withTimeout(consumer.disconnect(), 10_000, 'leaving the consumer group').catch((err: unknown) => {
      this.host.log.debug({ receiver: this.id, err }, 'kafka consumer did not disconnect cleanly');
    });
  }
}

function sleep(ms: number): Promise<'slept'> {
  return new Promise((resolve) => {
    setTimeout(() => {
      resolve('slept');
    }, ms).unref();
  });
}
