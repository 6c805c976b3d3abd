// The Kafka sink runs the sink conformance suite against librdkafka's mock cluster, each test on its own topic,
// read back with kcat (the id from the sluice-id header).
import { afterAll, beforeAll } from 'vitest';
import { kafkaSinkConfigSchema } from '../../../../connectors/sinks/kafka/config.js';
import { createSink } from '../../../../connectors/sinks/kafka/index.js';
import type { Logger } from '../../../../connectors/types.js';
import { kcatConsume, startKafkaMock, type KafkaMock } from '../../../support/kafka-mock.js';
import { sinkSuite } from '../../../support/sink-suite.js';

const TOPICS = 3;
let mock: KafkaMock;
let next = 0;

beforeAll(async () => {
  mock = await startKafkaMock({ topics: Array.from({ length: TOPICS }, (_, i) => `suite-${i}:2`) });
});

afterAll(async () => {
  await mock.stop();
});

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

sinkSuite('the Kafka sink', () => {
  const topic = `suite-${next++}`;
  return {
    create: () =>
      createSink(
        'suite',
        kafkaSinkConfigSchema.parse({ type: 'kafka', brokers: mock.brokers, topic, sendTimeout: '5s' }),
        { log: silent, durability: 'process', disconnected: () => undefined },
      ),
    delivered: async () =>
      (await kcatConsume(mock.brokers, topic))
        .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
        .map((m) => ({
          id: m.headers['sluice-id'] ?? '',
          key: m.key ?? '',
          value: JSON.parse(m.payload ?? 'null') as unknown,
        })),
  };
});
