// The `embedded:` block of the MQTT receiver: run an MQTT broker inside Sluice (aedes) for a gateway that has
// none, so sensors publish straight to it. Kept apart from config.ts, which it extends by one key.
import { z } from 'zod';

export const embeddedBrokerSchema = z
  .strictObject({
    port: z
      .int()
      .min(0)
      .max(65_535)
      .default(1883)
      .describe('Port the broker listens on; 0 picks a free one. Default: 1883.'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(
        'Address to listen on; 0.0.0.0 for sensors on the network (then username and password are required). Default: 127.0.0.1.',
      ),
  })
  .describe(
    'Runs an MQTT 3.1.1 broker in Sluice (aedes) instead of subscribing to one: publishers’ QoS 1/2 messages on the receiver’s topics are acknowledged once in the write-ahead log; other clients may subscribe too. username/password, when given, are what clients must present. Default: none (subscribe to url).',
  );

export type EmbeddedBrokerConfig = z.output<typeof embeddedBrokerSchema>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

interface EmbeddedFields {
  url: string;
  embedded?: EmbeddedBrokerConfig | undefined;
  username?: string | undefined;
  password?: unknown;
  tls?: unknown;
}

/** Cross-checks url, embedded and the credentials. */
export function checkEmbedded(config: EmbeddedFields, ctx: z.RefinementCtx): void {
  const { embedded } = config;
  if (embedded === undefined) {
    if (config.url === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'give url (a broker to subscribe to) or embedded (run a broker in Sluice)',
        params: { hint: 'e.g. url: mqtt://127.0.0.1:1883, or embedded: { port: 1883 }' },
      });
    }
    return;
  }
  if (config.url !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['embedded'],
      message: 'url and embedded exclude each other: with embedded, Sluice is the broker',
      params: { hint: 'remove url, or remove embedded to subscribe to the broker at url' },
    });
  }
  if (config.tls !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['tls'],
      message: 'the embedded broker listens without TLS',
      params: { hint: 'remove tls, or run a broker with TLS (Mosquitto) and subscribe to it with url' },
    });
  }
  if (!LOOPBACK.test(embedded.host) && (config.username === undefined || config.password === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['embedded', 'host'],
      message: `an embedded broker on ${embedded.host} is open to the network: it needs username and password`,
      params: { hint: 'add username: sensors and password: ${MQTT_PASSWORD}, or keep host: 127.0.0.1' },
    });
  }
}

/** With embedded, url names the embedded broker (for status and logs). */
export function withEmbeddedUrl<T extends EmbeddedFields>(config: T): T {
  const { embedded } = config;
  if (embedded === undefined || config.url !== '') return config;
  const host = embedded.host.includes(':') ? `[${embedded.host}]` : embedded.host;
  return { ...config, url: `mqtt://${host}:${String(embedded.port)}` };
}
