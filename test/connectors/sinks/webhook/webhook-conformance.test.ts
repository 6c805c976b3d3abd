// The webhook sink runs the sink conformance suite: each test posts to a local server of its own, which checks
// every signature; what arrived is read back from the requests (the id from the webhook-id header).
import { afterAll } from 'vitest';
import { webhookSinkConfigSchema } from '../../../../connectors/sinks/webhook/config.js';
import { createSink } from '../../../../connectors/sinks/webhook/index.js';
import type { Logger } from '../../../../connectors/types.js';
import { sinkSuite } from '../../../support/sink-suite.js';
import { startWebhookServer, type WebhookServer } from './webhook-server.js';

const SECRET = 'whsec_Y29uZm9ybWFuY2Ugc3VpdGUgc2VjcmV0';
const servers: WebhookServer[] = [];

afterAll(async () => {
  for (const server of servers) await server.close();
});

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

sinkSuite('the webhook sink', () => {
  let server: Promise<WebhookServer> | undefined;
  const started = (): Promise<WebhookServer> =>
    (server ??= startWebhookServer(SECRET).then((s) => {
      servers.push(s);
      return s;
    }));
  return {
    create: async () =>
      createSink(
        'suite',
        webhookSinkConfigSchema.parse({ type: 'webhook', url: (await started()).url, secret: SECRET }),
        { log: silent, durability: 'process', disconnected: () => undefined },
      ),
    delivered: async () =>
      (await started()).received.map((r) => {
        if (!r.verified) throw new Error(`request ${r.id} failed signature verification`);
        const value = JSON.parse(r.body) as { key: string };
        return { id: r.id, key: value.key, value };
      }),
  };
});
