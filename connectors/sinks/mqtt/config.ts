// Config schema of the MQTT sink (`type: mqtt` under `sinks`), written once: the TypeScript type, the validation,
// the JSON Schema for editors and the reference docs all derive from it. The broker URL, TLS, user name and
// password are the MQTT receiver's schemas.
import { z } from 'zod';
import { mqttReceiverConfigSchema, brokerUrlSchema, tlsSchema } from '../../receivers/mqtt/config.js';
import { sinkCommonShape } from '../../../daemon/config/common-schemas.js';
import { durationSchema } from '../../../daemon/config/units.js';

/** The record fields a topic template may name: those every record has (window results and alerts). */
export const TOPIC_FIELDS = ['pipeline', 'key', 'gateway', 'alert', 'status', 'severity'] as const;

const topicTemplateSchema = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    const unknown = [...template.matchAll(/\{([^}]*)\}/g)]
      .map((m) => m[1] ?? '')
      .filter((name) => !(TOPIC_FIELDS as readonly string[]).includes(name));
    const literal = template.replace(/\{[^}]*\}/g, '');
    const problem =
      unknown.length > 0
        ? `unknown placeholder {${unknown[0] ?? ''}}`
        : /[+#]/.test(literal) || literal.includes('\u0000')
          ? 'a topic to publish to cannot hold "+", "#" or NUL'
          : undefined;
    if (problem === undefined) return;
    ctx.addIssue({
      code: 'custom',
      input: template,
      message: problem,
      params: { hint: `use ${TOPIC_FIELDS.map((f) => `{${f}}`).join(', ')}, e.g. sluice/{pipeline}/{key}` },
    });
  })
  .describe(
    'Topic of each record, with placeholders for its fields: {pipeline}, {key}, {gateway}; for alert notifications {alert}, {status}, {severity}. E.g. sluice/{pipeline}/{key}.',
  );

export const mqttSinkConfigSchema = z
  .strictObject({
    type: z.literal('mqtt').describe('Sink type.'),
    url: brokerUrlSchema.describe(
      'Broker URL: mqtt://host:1883, mqtts://host:8883 (TLS, see tls), ws:// or wss://.',
    ),
    topic: topicTemplateSchema,
    qos: z
      .literal([0, 1, 2])
      .default(1)
      .describe(
        'QoS of each publish. With 1 or 2 a record leaves the outbox only after the broker acknowledged it (PUBACK/PUBCOMP); with 0 once it is written to the socket. Default: 1.',
      ),
    retain: z
      .boolean()
      .default(false)
      .describe(
        'Publish retained, so a dashboard that subscribes later gets each topic’s latest record. Default: false.',
      ),
    clientId: z.string().min(1).optional().describe('MQTT client id. Default: sluice-<host name>-<sink id>.'),
    username: mqttReceiverConfigSchema.shape.username,
    password: mqttReceiverConfigSchema.shape.password,
    tls: tlsSchema.optional(),
    connectTimeout: durationSchema
      .prefault('10s')
      .describe('Longest a connection attempt to the broker may take. Default: 10s.'),
    sendTimeout: durationSchema
      .prefault('30s')
      .describe(
        'Longest one send (a chunk of the outbox) may wait for the broker’s acknowledgements before it counts as failed and is retried. Default: 30s.',
      ),
    ...sinkCommonShape,
  })
  .superRefine((config, ctx) => {
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
    'Publishes each record as JSON to an MQTT broker, on a topic made from its fields (local dashboards, actuators); deleted from the outbox once the broker acknowledged it.',
  );

export type MqttSinkConfig = z.output<typeof mqttSinkConfigSchema>;
