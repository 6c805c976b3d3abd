// The Kafka receiver against librdkafka's mock cluster, with a test host standing in for the intake: it reads on
// from the offsets saved with its deliveries (not from the group's), and pauses its consumer while a delivery
// waits for room in the intake.
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { kafkaReceiverConfigSchema } from '../../../../connectors/receivers/kafka/config.js';
import { KafkaReceiver } from '../../../../connectors/receivers/kafka/receiver.js';
import { startKafkaMock, type KafkaMock } from '../../../support/kafka-mock.js';
import { waitFor } from '../../../support/wait.js';
import { TestHost } from '../mqtt/test-host.js';

let mock: KafkaMock;
let producer: Producer;

beforeAll(async () => {
  mock = await startKafkaMock({ topics: ['saved:1', 'held:2'] });
  producer = new Kafka({ clientId: 'test', brokers: mock.brokers, logLevel: logLevel.NOTHING }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await mock.stop();
});

function receiver(host: TestHost, topic: string, groupId: string): KafkaReceiver {
  const config = kafkaReceiverConfigSchema.parse({
    type: 'kafka',
    brokers: mock.brokers,
    topics: [topic],
    groupId,
    sessionTimeout: '6s',
  });
  return new KafkaReceiver('in', config, host, 'gw');
}

async function produce(topic: string, from: number, count: number): Promise<void> {
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({
      key: `k${i % 3}`,
      value: JSON.stringify({ n: from + i }),
    })),
  });
}

test('reads on from the offsets saved with its deliveries, whatever the group committed', async () => {
  const host = new TestHost();
  const first = receiver(host, 'saved', 'group-a');
  await first.connect();
  await produce('saved', 0, 10);
  await host.waitForMessages(10);
  expect(host.progress.get('saved/0')).toBe('10');
  await first.close();

  await produce('saved', 10, 10);
  // A group that has never committed anything and would start at the earliest offset: only the saved offsets
  // keep the first ten from being read again.
  const second = receiver(host, 'saved', 'group-b');
  await second.connect();
  await host.waitForMessages(20);
  await second.close();
  expect(host.payloads().map((p) => (JSON.parse(p) as { n: number }).n)).toEqual(
    Array.from({ length: 20 }, (_, i) => i),
  );
  expect(host.progress.get('saved/0')).toBe('20');
});

test('pauses the consumer while a delivery waits for room in the intake, and resumes after', async () => {
  const host = new TestHost('block');
  const r = receiver(host, 'held', 'group-held');
  await r.connect();
  await produce('held', 0, 30);
  await host.waitFor('a delivery held by the intake', () => host.pending > 0);
  await waitFor('the consumer to pause', () => (r.paused ? true : undefined));
  // Held back: nothing more is delivered while the first delivery waits.
  expect(host.calls).toBe(1);
  host.release();
  await host.waitForMessages(30);
  await waitFor('the consumer to resume', () => (r.paused ? undefined : true));
  await r.close();
  expect(host.maxPending).toBe(1);
  expect(new Set(host.payloads()).size).toBe(30);
});
