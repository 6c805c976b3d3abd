// The list of all connectors, written out by hand (no directory scanning): each with its config schema, read at
// config time, and a lazy loader for its implementation, so a gateway without Kafka never loads kafkajs.
import type { z } from 'zod';
import { mqttReceiverConfigSchema } from './receivers/mqtt/config.js';
import { serialReceiverConfigSchema } from './receivers/serial/config.js';
import { simulatorReceiverConfigSchema } from './receivers/simulator/config.js';
import { fileReceiverConfigSchema } from './receivers/file/config.js';
import { tcpReceiverConfigSchema } from './receivers/tcp/config.js';
import { kafkaReceiverConfigSchema } from './receivers/kafka/config.js';
import { fileSinkConfigSchema } from './sinks/file/config.js';
import { webhookSinkConfigSchema } from './sinks/webhook/config.js';
import { kafkaSinkConfigSchema } from './sinks/kafka/config.js';
import { mqttSinkConfigSchema } from './sinks/mqtt/config.js';

/**
 * One connector. `Module` is the type of its implementation module, inferred from `load`.
 */
export interface ConnectorEntry<Schema extends z.ZodType = z.ZodType, Module = unknown> {
  /** The `type:` value that selects it in config. */
  readonly type: string;
  /** One line for docs and `sluice --help`. */
  readonly summary: string;
  /** Its config schema: a strict object whose `type` is the literal above. */
  readonly configSchema: Schema;
  /**
   * Imports the implementation on first use (`() => import('./receivers/mqtt/index.js')`), so a gateway that
   * does not use a connector never loads its client library.
   */
  readonly load: () => Promise<Module>;
}

/** Receivers, by `type`. Add a new one here and in its folder's config.ts; nothing else lists them. */
export const receivers = [
  {
    type: 'mqtt',
    summary:
      'Subscribes to an MQTT broker (MQTT.js 5), or runs one in-process (embedded, aedes); QoS 1/2 acknowledged after the write-ahead log.',
    configSchema: mqttReceiverConfigSchema,
    load: () => import('./receivers/mqtt/index.js'),
  },
  {
    type: 'serial',
    summary:
      'Reads a serial port (lines, CSV, key=value, NMEA 0183) or polls Modbus RTU devices; reopens it after an unplug.',
    configSchema: serialReceiverConfigSchema,
    load: () => import('./receivers/serial/index.js'),
  },
  {
    type: 'kafka',
    summary:
      'Consumes Kafka topics in a consumer group; offsets saved atomically with the records (nothing lost or counted twice).',
    configSchema: kafkaReceiverConfigSchema,
    load: () => import('./receivers/kafka/index.js'),
  },
  {
    type: 'simulator',
    summary: 'Simulated climate sensors (temperature, humidity): the demo input, no hardware needed.',
    configSchema: simulatorReceiverConfigSchema,
    load: () => import('./receivers/simulator/index.js'),
  },
  {
    type: 'file',
    summary:
      'Watches a directory and reads each file once, line by line as it grows; the offset is saved with the records.',
    configSchema: fileReceiverConfigSchema,
    load: () => import('./receivers/file/index.js'),
  },
  {
    type: 'tcp',
    summary:
      'Reads lines from a TCP socket: connects to host:port (socketTextStream) and reconnects, or listens for clients.',
    configSchema: tcpReceiverConfigSchema,
    load: () => import('./receivers/tcp/index.js'),
  },
] as const satisfies readonly ConnectorEntry[];

/** Sinks, by `type`. */
export const sinks = [
  {
    type: 'file',
    summary: 'Appends JSON lines to a file, rotated by size.',
    configSchema: fileSinkConfigSchema,
    load: () => import('./sinks/file/index.js'),
  },
  {
    type: 'kafka',
    summary: 'Sends records to a Kafka topic (kafkajs, acks all): key, sluice-id header, JSON value.',
    configSchema: kafkaSinkConfigSchema,
    load: () => import('./sinks/kafka/index.js'),
  },
  {
    type: 'webhook',
    summary:
      'POSTs each record as JSON, signed (Standard Webhooks, HMAC-SHA256); 4xx other than 429 are dead letters.',
    configSchema: webhookSinkConfigSchema,
    load: () => import('./sinks/webhook/index.js'),
  },
  {
    type: 'mqtt',
    summary:
      'Publishes each record as JSON to an MQTT broker on a topic from its fields (sluice/{pipeline}/{key}); kept until acknowledged.',
    configSchema: mqttSinkConfigSchema,
    load: () => import('./sinks/mqtt/index.js'),
  },
] as const satisfies readonly ConnectorEntry[];

export type ReceiverType = (typeof receivers)[number]['type'];
export type SinkType = (typeof sinks)[number]['type'];

/** The entry for a receiver type, or undefined for an unknown type. */
export function findReceiver(type: string): (typeof receivers)[number] | undefined {
  return receivers.find((entry) => entry.type === type);
}

/** The entry for a sink type, or undefined for an unknown type. */
export function findSink(type: string): (typeof sinks)[number] | undefined {
  return sinks.find((entry) => entry.type === type);
}
