// Config schema of the Kafka sink (`type: kafka` under `sinks`), written once: the TypeScript type, the
// validation, the JSON Schema for editors and the reference docs all derive from it. No kafkajs here: the
// schema is read at config time by every gateway, kafkajs only by one that sends to Kafka.
import { z } from 'zod';
import { sinkCommonShape, tlsClientSchema } from '../../../daemon/config/common-schemas.js';
import { secretSchema } from '../../../daemon/config/secret.js';
import { durationSchema } from '../../../daemon/config/units.js';

/** `host:port`; Kafka has no URL scheme, and a missing port is the commonest slip. */
const brokerSchema = z
  .string()
  .superRefine((broker, ctx) => {
    if (/^[^\s:/]+:\d{1,5}$/.test(broker) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(broker)) return;
    const bare = broker.replace(/^[a-z]+:\/\//i, '');
    ctx.addIssue({
      code: 'custom',
      input: broker,
      message: 'a broker is host:port, without a scheme',
      params: { hint: `e.g. ${/:\d+$/.test(bare) ? bare : `${bare.replace(/\/.*$/, '')}:9092`}` },
    });
  })
  .meta({ title: 'host:port' });

/** Kafka's legal topic names: up to 249 of [a-zA-Z0-9._-], not "." or "..". */
const topicSchema = z
  .string()
  .superRefine((topic, ctx) => {
    if (/^[a-zA-Z0-9._-]{1,249}$/.test(topic) && topic !== '.' && topic !== '..') return;
    ctx.addIssue({
      code: 'custom',
      input: topic,
      message: 'a Kafka topic name uses letters, digits, ".", "_" and "-" (at most 249)',
      params: { hint: `e.g. ${topic.replace(/[^a-zA-Z0-9._-]+/g, '.').slice(0, 249) || 'edge.summaries'}` },
    });
  })
  .describe('Topic the records go to, e.g. edge.summaries.');

const tlsSchema = tlsClientSchema('kafka.key', 'Connect over TLS with these settings. Default: plaintext.');

const saslSchema = z
  .strictObject({
    mechanism: z
      .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
      .describe('SASL mechanism; use plain only over TLS.'),
    username: z.string().min(1).describe('SASL user name.'),
    password: secretSchema.describe('SASL password, e.g. ${KAFKA_PASSWORD}.'),
  })
  .describe('SASL authentication. Default: none.');

export const kafkaSinkConfigSchema = z
  .strictObject({
    type: z.literal('kafka').describe('Sink type.'),
    brokers: z
      .array(brokerSchema)
      .min(1, { error: 'name at least one broker' })
      .describe('Bootstrap brokers, host:port, e.g. ["kafka-1.plant:9093"].'),
    topic: topicSchema,
    clientId: z
      .string()
      .min(1)
      .default('sluice')
      .describe('Client id the brokers see (quotas, logs). Default: sluice.'),
    tls: tlsSchema.optional(),
    sasl: saslSchema.optional(),
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
  .superRefine((config, ctx) => {
    if (config.sasl?.mechanism === 'plain' && config.tls === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sasl', 'mechanism'],
        message: 'SASL plain sends the password in clear text without TLS',
        params: {
          hint: 'add tls: {} (system CAs) or tls: { ca: ${file:/etc/sluice/ca.pem} }, or use scram-sha-512',
        },
      });
    }
  })
  .describe(
    'Sends each output record to a Kafka topic (kafkajs, acks all): key = the record key, header sluice-id = its deterministic id, value = the record as JSON.',
  );

export type KafkaSinkConfig = z.output<typeof kafkaSinkConfigSchema>;
