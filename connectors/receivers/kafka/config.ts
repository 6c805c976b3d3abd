// Config schema of the Kafka receiver (`type: kafka` under `receivers`), written once: the TypeScript type, the
// validation, the JSON Schema for editors and the reference docs all derive from it. Brokers, topics, TLS and SASL
// are the Kafka sink's schemas. No kafkajs here.
import { z } from 'zod';
import {
  keyExpressionSchema,
  timeFieldSchema,
  timeFormatSchema,
} from '../../../daemon/config/common-schemas.js';
import { durationSchema } from '../../../daemon/config/units.js';
import {
  checkSaslOverTls,
  kafkaBrokersSchema,
  kafkaSaslSchema,
  kafkaTlsSchema,
  kafkaTopicSchema,
} from '../../kafka/schemas.js';

export const kafkaReceiverConfigSchema = z
  .strictObject({
    type: z.literal('kafka').describe('Receiver type.'),
    brokers: kafkaBrokersSchema,
    topics: z
      .array(kafkaTopicSchema)
      .min(1, { error: 'subscribe to at least one topic' })
      .describe('Topics to consume, e.g. ["plant.readings"].'),
    groupId: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Consumer group. Give each gateway its own: the positions live in its state directory. Default: sluice-<gateway id>-<receiver id>.',
      ),
    clientId: z
      .string()
      .min(1)
      .default('sluice')
      .describe('Client id the brokers see (quotas, logs). Default: sluice.'),
    tls: kafkaTlsSchema.optional(),
    sasl: kafkaSaslSchema.optional(),
    start: z
      .enum(['earliest', 'latest'])
      .default('earliest')
      .describe(
        'Where a partition this gateway has never read starts, when the group has no committed offset either. Default: earliest.',
      ),
    format: z
      .enum(['json', 'csv', 'text', 'number'])
      .default('json')
      .describe(
        'Message value format: json (an object), csv (one line, see columns), text ({ value: string }), number ({ value: number }). Default: json.',
      ),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Field names of the CSV columns, in order. Required with format: csv.'),
    key: keyExpressionSchema
      .optional()
      .describe('CEL expression giving the record key, e.g. sensor (a field). Default: the topic.'),
    time: timeFieldSchema,
    timeFormat: timeFormatSchema,
    connectTimeout: durationSchema
      .prefault('10s')
      .describe('Longest a connection attempt to the brokers (and the group join) may take. Default: 10s.'),
    sessionTimeout: durationSchema
      .prefault('30s')
      .describe(
        'Consumer group session timeout: a gateway killed without leaving the group holds its partitions this long after it restarts. Default: 30s.',
      ),
  })
  .superRefine((config, ctx) => {
    checkSaslOverTls(config, ctx);
    if (config.format === 'csv' && config.columns === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: 'format: csv needs the column names',
        params: { hint: 'add e.g. columns: [sensor, temp, hum]' },
      });
    }
  })
  .describe(
    'Consumes Kafka topics in a consumer group; each partition’s offset is saved in the same atomic write as its records (Spark’s direct approach), so a restart neither loses nor counts input twice.',
  );

export type KafkaReceiverConfig = z.output<typeof kafkaReceiverConfigSchema>;
