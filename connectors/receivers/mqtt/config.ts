// Config schema of the MQTT receiver (`type: mqtt` under `receivers`), written once: the TypeScript type, the
// validation, the JSON Schema for editors and the reference docs all derive from it.
import { z } from 'zod';
import {
  keyExpressionSchema,
  timeFieldSchema,
  timeFormatSchema,
  tlsClientSchema,
} from '../../../daemon/config/common-schemas.js';
import { secretSchema } from '../../../daemon/config/secret.js';
import { durationSchema } from '../../../daemon/config/units.js';
import { checkEmbedded, embeddedBrokerSchema, withEmbeddedUrl } from './embedded-config.js';

const BROKER_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** A broker URL (mqtt, mqtts, ws, wss), without credentials; the MQTT sink's `url` too. */
export const brokerUrlSchema = z
  .string()
  .superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({
        code: 'custom',
        input: text,
        message: 'not a URL',
        params: { hint: 'write e.g. mqtt://127.0.0.1:1883' },
      });
      return;
    }
    if (!BROKER_PROTOCOLS.includes(url.protocol)) {
      ctx.addIssue({
        code: 'custom',
        input: text,
        message: `unsupported scheme "${url.protocol.replace(/:$/, '')}"`,
        params: { hint: 'use mqtt:// (plain), mqtts:// (TLS), ws:// or wss:// (WebSocket)' },
      });
    }
    if (url.username !== '' || url.password !== '') {
      // The URL is logged and shown in status; credentials in it would leak.
      ctx.addIssue({
        code: 'custom',
        message: 'credentials do not belong in the URL (it is logged and shown in status)',
        params: { hint: 'move them to username: and password: ${MQTT_PASSWORD}' },
      });
    }
  })
  .describe(
    'Broker URL: mqtt://host:1883, mqtts://host:8883 (TLS, see tls), ws:// or wss://. Default: the embedded broker’s address with embedded (required without it).',
  )
  .meta({ examples: ['mqtt://127.0.0.1:1883'] });

/** A subscription filter: `+` matches one level, `#` the rest and only at the end; `$share/group/…` is allowed. */
const topicFilterSchema = z
  .string()
  .min(1, { error: 'a topic filter cannot be empty' })
  .superRefine((filter, ctx) => {
    const levels = filter.split('/');
    const problem = levels.some(
      (level, i) => level.includes('#') && (level !== '#' || i !== levels.length - 1),
    )
      ? '"#" must be a whole level and the last one'
      : levels.some((level) => level.includes('+') && level !== '+')
        ? '"+" must be a whole level'
        : filter.includes('\u0000')
          ? 'a topic filter cannot contain NUL'
          : undefined;
    if (problem !== undefined) {
      ctx.addIssue({
        code: 'custom',
        input: filter,
        message: problem,
        params: { hint: 'e.g. sensors/+/telemetry or sensors/#' },
      });
    }
  });

/** TLS settings of an MQTT connection; the MQTT sink's `tls` too. */
export const tlsSchema = tlsClientSchema(
  'mqtt.key',
  'TLS settings for mqtts:// and wss://. Default: system CAs, certificate verified.',
);

export const mqttReceiverConfigSchema = z
  .strictObject({
    type: z.literal('mqtt').describe('Receiver type.'),
    // '' (the default, never valid as a URL) means "not given": embedded fills it in, else it is required.
    url: brokerUrlSchema.default('').meta({ default: undefined }), // no "" in the JSON Schema and docs
    embedded: embeddedBrokerSchema.optional(),
    topics: z
      .array(topicFilterSchema)
      .min(1, { error: 'subscribe to at least one topic filter' })
      .describe('Topic filters to subscribe to, e.g. ["sensors/+/telemetry"].'),
    qos: z
      .literal([0, 1, 2])
      .default(1)
      .describe(
        'Subscription QoS. 1 or 2 means nothing acknowledged is lost (ack after the write-ahead log). Default: 1.',
      ),
    format: z
      .enum(['json', 'csv', 'kv', 'text', 'number', 'nmea'])
      .default('json')
      .describe(
        'Payload format: json (an object), csv (one line, see columns), kv (key=value pairs), text ({ value: string }), number ({ value: number }), nmea (one NMEA 0183 sentence, checksum verified). Default: json.',
      ),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Field names of the CSV columns, in order. Required with format: csv.'),
    key: keyExpressionSchema
      .optional()
      .describe('CEL expression giving the record key, e.g. topicParts[1]. Default: the topic.'),
    time: timeFieldSchema,
    timeFormat: timeFormatSchema,
    clientId: z
      .string()
      .min(1)
      .optional()
      .describe(
        'MQTT client id; keep it stable so the broker keeps the session. Default: sluice-<gateway id>-<receiver id>.',
      ),
    username: z.string().optional().describe('Broker user name. Default: none.'),
    password: secretSchema.optional().describe('Broker password, e.g. ${MQTT_PASSWORD}. Default: none.'),
    tls: tlsSchema.optional(),
    protocolVersion: z.literal([4, 5]).default(4).describe('MQTT protocol: 4 (3.1.1) or 5. Default: 4.'),
    keepalive: durationSchema.prefault('30s').describe('Keepalive interval. Default: 30s.'),
    sessionExpiry: durationSchema
      .prefault('7d')
      .describe(
        'MQTT 5 only: how long the broker keeps the session and its queued messages while the daemon is away. Default: 7d.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.format === 'csv' && config.columns === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: 'format: csv needs the column names',
        params: { hint: 'add e.g. columns: [sensor, temp, hum]' },
      });
    }
    checkEmbedded(config, ctx);
    if (config.tls !== undefined && !/^(mqtts|wss):/.test(config.url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'tls settings apply to mqtts:// and wss:// only',
        params: { hint: 'change the url to mqtts://… (port 8883 usually), or remove tls' },
      });
    }
  })
  .describe(
    'Subscribes to an MQTT broker (MQTT 3.1.1 or 5), or runs one in-process (embedded); acknowledges QoS 1/2 messages after they are in the write-ahead log.',
  )
  .overwrite(withEmbeddedUrl);

export type MqttReceiverConfig = z.output<typeof mqttReceiverConfigSchema>;
