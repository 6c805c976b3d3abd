// End to end, in-process: simulated sensors → an event-time pipeline → an alert rule on its window results →
// the webhook sink → a local server that verifies each notification's signature with its own HMAC.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../../../daemon/app.js';
import { loadConfig } from '../../../../daemon/config/load.js';
import { waitFor } from '../../../support/wait.js';
import { startWebhookServer, type WebhookServer } from './webhook-server.js';

const SECRET = `whsec_${Buffer.from('end-to-end secret').toString('base64')}`;

let dir: string;
let server: WebhookServer;
let gateway: Gateway | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-alert-e2e-'));
  server = await startWebhookServer(SECRET);
});

afterAll(async () => {
  await gateway?.stop();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string) {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `gateway: { id: gw-alerts, labels: { site: greenhouse-7 } }
batch: { interval: 100ms }
state: { dir: ${path.join(dir, name)} }
receivers:
  sim: { type: simulator, sensors: 3, interval: 50ms }
pipelines:
  climate-500ms:
    from: [sim]
    window: { length: 500ms }
    aggregate: { n: count(), temp_max: max(temp) }
    to: [archive]
sinks:
  archive: { type: file, path: ${path.join(dir, `${name}.jsonl`)} }
  ops: { type: webhook, url: "${server.url}", secret: "\${HOOK_SECRET}", timeout: 2s }
alerts:
  always-warm:
    from: climate-500ms
    when: temp_max > -100.0 && n > 0
    severity: critical
    notify: [ops]
`,
  );
  return loadConfig(file, { env: { HOOK_SECRET: SECRET } });
}

describe('an alert on a gateway', () => {
  test('fires on window results and reaches the webhook signed, once per key', async () => {
    const config = await writeConfig('first');
    gateway = createGateway(config, { log: pino({ level: 'silent' }) });
    await gateway.start();
    const received = await waitFor('three notifications at the webhook', () =>
      server.received.length >= 3 ? server.received.slice(0, 3) : undefined,
    );
    expect(received.map((r) => r.verified)).toEqual([true, true, true]);
    const bodies = received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(new Set(bodies.map((b) => b.key)).size).toBe(3);
    for (const [i, body] of bodies.entries()) {
      expect(body).toMatchObject({
        alert: 'always-warm',
        status: 'firing',
        severity: 'critical',
        gateway: 'gw-alerts',
        labels: { site: 'greenhouse-7' },
      });
      expect(received[i]?.id).toBe(
        `gw-alerts/always-warm/${String(body.key)}/${String(body.startsAt)}/firing`,
      );
      expect(body.id).toBe(received[i]?.id);
    }
    // Still firing, no repeat configured: no further notification for the same keys.
    await waitFor('more window results', async () => {
      const backlog = await gateway?.backlog();
      return gateway !== undefined && gateway.results('climate-500ms').length >= 9 ? backlog : undefined;
    });
    expect(server.received.length).toBe(3);
    // The gateway keeps the committed transitions, newest first, for status and the API.
    expect(
      gateway
        .alerts()
        .map((n) => n.id)
        .sort(),
    ).toEqual(received.map((r) => r.id).sort());
  });

  test('a restart neither re-fires nor forgets a firing alert: its state comes back from the checkpoint', async () => {
    await gateway?.stop();
    server.received.length = 0;
    const config = await writeConfig('restart');
    gateway = createGateway(config, { log: pino({ level: 'silent' }) });
    await gateway.start();
    await waitFor('three notifications at the webhook', () =>
      server.received.length >= 3 ? true : undefined,
    );
    await gateway.stop();
    const fired = new Set(server.received.map((r) => r.id));
    expect(fired.size).toBe(3);

    gateway = createGateway(config, { log: pino({ level: 'silent' }) });
    await gateway.start();
    await waitFor('window results after the restart', () =>
      gateway !== undefined && gateway.results('climate-500ms').length >= 9 ? true : undefined,
    );
    await gateway.stop();
    gateway = undefined;
    // A notification sent again after the restart carries an id seen before; a new firing would have a new one.
    expect(new Set(server.received.map((r) => r.id))).toEqual(fired);
    expect(server.received.every((r) => r.verified)).toBe(true);
  });
});
