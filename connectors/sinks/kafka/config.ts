// Config schema of the Kafka sink (`type: kafka` under `sinks`), written once: the TypeScript type, the
// validation, the JSON Schema for editors and the reference docs all derive from it. No kafkajs here: the
// schema is read at config time by every gateway, kafkajs only by one that sends to Kafka.
import { z } from 'zod';
import { sinkCommonShape } from '../../../daemon/config/common-schemas.js';
import { durationSchema } from '../../../daemon/config/units.js';
import {
  checkSaslOverTls,
  kafkaBrokersSchema,
  kafkaSaslSchema,
  kafkaTlsSchema,
  kafkaTopicSchema,
} from '../../kafka/schemas.js';

export const kafkaSinkConfigSchema = z
  .strictObject({
    type: z.literal('kafka').describe('Sink type.'),
    brokers: kafkaBrokersSchema,
    topic: kafkaTopicSchema.describe('Topic the records go to, e.g. edge.summaries.'),
    clientId: z
      .string()
      .min(1)
      .default('sluice')
      .describe('Client id the brokers see (quotas, logs). Default: sluice.'),
    tls: kafkaTlsSchema.optional(),
    sasl: kafkaSaslSchema.optional(),
    compression: z
      .enum(['none', 'gzip'])
      .default('none')
      .describe('Compression of each batch of records. Default: none.'),
    acks: z
      .literal('all')
      .default('all')
      .describe(
        'Acknowledgement the sink waits for before it deletes entries from the outbox: all in-sync replicas. Default: all.',
      ),
    connectTimeout: durationSchema
      .prefault('10s')
      .describe('Longest a connection attempt to the brokers may take. Default: 10s.'),
    sendTimeout: durationSchema
      .prefault('30s')
      .describe(
        'Longest one send (a chunk of the outbox) may wait for its acknowledgement before it counts as failed and is retried. Default: 30s.',
      ),
    recreateAfter: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe(
        'Consecutive failed sends after which the producer is thrown away and a new one connects. Default: 3.',
      ),
    ...sinkCommonShape,
  })
  .superRefine(checkSaslOverTls)
  .describe(
    'Sends each output record to a Kafka topic (kafkajs, acks all): key = the record key, header sluice-id = its deterministic id, value = the record as JSON.',
  );

export type KafkaSinkConfig = z.output<typeof kafkaSinkConfigSchema>;
