// The kafkajs client settings both Kafka connectors build from their config (brokers, TLS, SASL, logging into
// the daemon's logger), and the timeout every Kafka call is wrapped in. Loaded only by a gateway that talks to
// Kafka.
import { logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '../types.js';
import type { KafkaConnectionConfig, KafkaSaslConfig } from './schemas.js';

/** kafkajs settings for one connector; `role` names it in logs (`sink` or `receiver`: its id). */
export function kafkaClientConfig(
  config: KafkaConnectionConfig,
  log: Logger,
  fields: Record<string, string>,
  timeouts: { connectionTimeout: number; requestTimeout: number },
): KafkaConfig {
  const kafkaConfig: KafkaConfig = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ...timeouts,
    // A couple of quick retries inside kafkajs (a moved partition leader); the supervisor owns the rest.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      logTo(log, fields, entry);
    },
  };
  if (config.tls !== undefined) {
    kafkaConfig.ssl = {
      rejectUnauthorized: config.tls.rejectUnauthorized,
      ...(config.tls.ca === undefined ? {} : { ca: [config.tls.ca] }),
      ...(config.tls.cert === undefined ? {} : { cert: config.tls.cert }),
      ...(config.tls.key === undefined ? {} : { key: config.tls.key.reveal() }),
    };
  }
  if (config.sasl !== undefined) kafkaConfig.sasl = saslOptions(config.sasl);
  return kafkaConfig;
}

function saslOptions(sasl: KafkaSaslConfig): SASLOptions {
  const credentials = { username: sasl.username, password: sasl.password.reveal() };
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', ...credentials };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', ...credentials };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', ...credentials };
  }
}

function logTo(log: Logger, fields: Record<string, string>, entry: LogEntry): void {
  const { message, ...rest } = entry.log;
  const obj = { ...fields, kafka: entry.namespace, ...rest };
  const msg = `kafkajs: ${message}`;
  if (entry.level === logLevel.ERROR || entry.level === logLevel.WARN) log.warn(obj, msg);
  else log.debug(obj, msg);
}

/** Rejects when `promise` has not settled within `ms`; the operation may still complete later. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms ${what}`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
