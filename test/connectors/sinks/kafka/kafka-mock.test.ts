// The test harness itself: a plain kafkajs producer (acks all) writes to librdkafka's mock cluster and kcat reads
// the messages back with their keys and headers; down() refuses the producer and up() lets it in again.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kcatConsume, startKafkaMock, type KafkaMock } from '../../../support/kafka-mock.js';

let mock: KafkaMock;

beforeAll(async () => {
  mock = await startKafkaMock({ topics: ['harness:3'] });
});

afterAll(async () => {
  await mock.stop();
});

describe('the Kafka mock cluster harness', () => {
  test('takes a plain kafkajs producer with acks all, and kcat reads back keys, values and headers', async () => {
    const kafka = new Kafka({ clientId: 'harness', brokers: mock.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic: 'harness',
        acks: -1,
        messages: [
          { key: 'a', value: '{"n":1}', headers: { 'sluice-id': 'id-1' } },
          { key: 'a', value: '{"n":2}', headers: { 'sluice-id': 'id-2' } },
          { key: 'b', value: '{"n":3}', headers: { 'sluice-id': 'id-3' } },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const messages = await kcatConsume(mock.brokers, 'harness');
    expect(messages.map((m) => [m.key, m.payload, m.headers['sluice-id']]).sort()).toEqual([
      ['a', '{"n":1}', 'id-1'],
      ['a', '{"n":2}', 'id-2'],
      ['b', '{"n":3}', 'id-3'],
    ]);
    const a = messages.filter((m) => m.key === 'a');
    expect(new Set(a.map((m) => m.partition)).size).toBe(1);
  });

  test('down() refuses a new producer connection and up() accepts it again', async () => {
    const kafka = new Kafka({
      clientId: 'harness-down',
      brokers: mock.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    });
    await mock.down();
    const refused = kafka.producer();
    await expect(refused.connect()).rejects.toThrow();
    await refused.disconnect();
    await mock.up();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'harness', acks: -1, messages: [{ key: 'c', value: 'x' }] });
    await producer.disconnect();
    expect((await kcatConsume(mock.brokers, 'harness')).some((m) => m.key === 'c')).toBe(true);
  });
});
