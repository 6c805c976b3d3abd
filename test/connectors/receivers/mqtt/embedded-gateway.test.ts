// End to end, in-process: a gateway whose MQTT receiver is the embedded broker; an mqtt.js publisher and
// mosquitto_pub send QoS 1 readings straight to it, and every reading is counted once in the windows of the file
// sink, with no broker but Sluice's.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../../../daemon/app.js';
import { loadConfig } from '../../../../daemon/config/load.js';
import { freePort } from '../../../support/free-port.js';
import { mqttSensors, writeCountingConfig } from '../../../support/gateway-configs.js';
import { requireExecutable } from '../../../support/mosquitto.js';
import { countedReadings, readWindowResults, summed } from '../../../support/window-results.js';
import { waitFor } from '../../../support/wait.js';

const run = promisify(execFile);
const T0 = 1_700_000_000_000;
const EACH = 150;

let dir: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-embedded-e2e-'));
});

afterAll(async () => {
  await gateway?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('mqtt.js and mosquitto_pub publish QoS 1 to the embedded broker; every reading lands in the file sink once', async () => {
  const mosquittoPub = requireExecutable('mosquitto_pub');
  const port = await freePort();
  const out = path.join(dir, 'out.jsonl');
  const configFile = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(configFile, {
    id: 'gw-embedded',
    stateDir: path.join(dir, 'state'),
    receivers: { sensors: mqttSensors({ embedded: { port } }) },
    out,
  });
  const config = await loadConfig(configFile, { env: {}, cwd: dir });
  gateway = createGateway(config, { log: pino({ level: 'silent' }) });
  await gateway.start();
  await waitFor('the broker listening', () =>
    gateway?.status().receivers.sensors?.state === 'connected' ? true : undefined,
  );
  const url = `mqtt://127.0.0.1:${String(port)}`;
  const reading = (i: number): string => JSON.stringify({ ts: T0 + i * 20, v: i });

  const publisher = await mqtt.connectAsync(url, { clientId: 'mqttjs-sensor' });
  await Promise.all(
    Array.from({ length: EACH }, (_, i) => publisher.publishAsync('s/js', reading(i), { qos: 1 })),
  );
  await publisher.endAsync();
  // mosquitto_pub -l: one QoS 1 message per stdin line, over one connection; it exits once all are acknowledged.
  const lines = Array.from({ length: EACH }, (_, i) => reading(EACH + i)).join('\n');
  const pub = run(mosquittoPub, ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', 's/cli', '-l']);
  pub.child.stdin?.end(`${lines}\n`);
  await pub;
  // A reading far ahead moves the watermark past every window.
  await run(mosquittoPub, [
    ...['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', 's/flush'],
    ...['-m', JSON.stringify({ ts: T0 + 10_000_000, v: 0 })],
  ]);

  const windows = await waitFor('every reading in the file', async () => {
    const byId = await readWindowResults(out);
    return countedReadings(byId) >= 2 * EACH ? byId : undefined;
  });
  expect(countedReadings(windows)).toBe(2 * EACH);
  expect(countedReadings(windows, 'cli')).toBe(EACH);
  expect(summed(windows, 'v_sum')).toBe((2 * EACH * (2 * EACH - 1)) / 2);
  expect(gateway.status().receivers.sensors?.records).toBe(2 * EACH + 1);
}, 60_000);
