// Config pieces the Kafka sink and the Kafka receiver share (brokers, topic names, TLS, SASL), written once. No
// kafkajs here: schemas are read at config time by every gateway, kafkajs only by one that talks to Kafka.
import { z } from 'zod';
import { tlsClientSchema } from '../../daemon/config/common-schemas.js';
import { secretSchema } from '../../daemon/config/secret.js';

/** `host:port`; Kafka has no URL scheme, and a missing port is the commonest slip. */
export const kafkaBrokerSchema = z
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

/** The bootstrap brokers list. */
export const kafkaBrokersSchema = z
  .array(kafkaBrokerSchema)
  .min(1, { error: 'name at least one broker' })
  .describe('Bootstrap brokers, host:port, e.g. ["kafka-1.plant:9093"].');

/** Kafka's legal topic names: up to 249 of [a-zA-Z0-9._-], not "." or "..". */
export const kafkaTopicSchema = z.string().superRefine((topic, ctx) => {
  if (/^[a-zA-Z0-9._-]{1,249}$/.test(topic) && topic !== '.' && topic !== '..') return;
  ctx.addIssue({
    code: 'custom',
    input: topic,
    message: 'a Kafka topic name uses letters, digits, ".", "_" and "-" (at most 249)',
    params: { hint: `e.g. ${topic.replace(/[^a-zA-Z0-9._-]+/g, '.').slice(0, 249) || 'edge.summaries'}` },
  });
});

export const kafkaTlsSchema = tlsClientSchema(
  'kafka.key',
  'Connect over TLS with these settings. Default: plaintext.',
);

export const kafkaSaslSchema = z
  .strictObject({
    mechanism: z
      .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
      .describe('SASL mechanism; use plain only over TLS.'),
    username: z.string().min(1).describe('SASL user name.'),
    password: secretSchema.describe('SASL password, e.g. ${KAFKA_PASSWORD}.'),
  })
  .describe('SASL authentication. Default: none.');

export type KafkaTlsConfig = z.output<typeof kafkaTlsSchema>;
export type KafkaSaslConfig = z.output<typeof kafkaSaslSchema>;

/** The connection settings both Kafka connectors have. */
export interface KafkaConnectionConfig {
  brokers: readonly string[];
  clientId: string;
  tls?: KafkaTlsConfig | undefined;
  sasl?: KafkaSaslConfig | undefined;
}

/** Rejects SASL plain without TLS (the password would go in clear text); for a connector schema's superRefine. */
export function checkSaslOverTls(config: KafkaConnectionConfig, ctx: z.RefinementCtx): void {
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
}
