// The broker goes away and comes back under a running gateway: the receiver reports itself degraded with the
// last error while the broker is down, the supervisor reconnects it with backoff on its own, and every QoS 1
// reading published before the stop (some still unacknowledged when the broker stops), right after the restart
// (while the gateway is still backing off) and after the reconnect is counted exactly once in the window results.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { loadConfig } from '../../daemon/config/load.js';
import type { BackoffOptions } from '../../daemon/supervisor.js';
import { mqttSensors, writeCountingConfig } from '../support/gateway-configs.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { publishReadings } from '../support/readings.js';
import { receiverStatus } from '../support/gateway-status.js';
import { readJsonLines } from '../support/jsonl.js';
import { waitFor } from '../support/wait.js';

const T0 = 1_700_000_000_000;
const PER_PHASE = 400;

let broker: Mosquitto;
let dir: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-broker-restart-'));
});

afterAll(async () => {
  await gateway?.stop();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  id: string;
  values: { n: number; v_sum: number };
}

const results = (file: string): Promise<Result[]> => readJsonLines<Result>(file);

/** Publishes readings first..first+count-1 at QoS 1 over one connection; resolves when the broker has them all. */
async function publish(first: number, count: number): Promise<void> {
  await publishReadings(broker.url, { first, count, keys: 7, t0: T0 });
}

test('reconnects on its own after a broker restart and counts every QoS 1 reading exactly once', async () => {
  const out = path.join(dir, 'out.jsonl');
  const file = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(file, {
    id: 'restart',
    stateDir: path.join(dir, 'state'),
    receivers: { sensors: mqttSensors({ url: broker.url, qos: 1 }) },
    out,
  });
  // Quick retries while the broker is down; the test lengthens them later (the supervisor reads these options
  // at every failure) to publish while the gateway is still backing off.
  const backoff: BackoffOptions = { initialMs: 50, maxMs: 200, random: () => 0.5 };
  gateway = createGateway(await loadConfig(file), { log: pino({ level: 'silent' }), backoff });
  const g = gateway;
  await g.start();
  const receiver = receiverStatus(g, 'sensors');
  await waitFor('the receiver to connect', () => (receiver().state === 'connected' ? true : undefined));

  // Phase A, then the broker stops at once: whatever the gateway has not acknowledged yet stays in the session
  // the broker saves on its way down.
  await publish(0, PER_PHASE);
  await broker.stop();
  await waitFor('the receiver to report the loss', () =>
    receiver().state === 'degraded' ? true : undefined,
  );
  expect(receiver().lastError?.message).toBeTruthy();
  // It keeps trying, and keeps failing, with the last error shown.
  await waitFor('three failed reconnects', () => (receiver().failures >= 3 ? true : undefined));
  expect(receiver().state).toBe('degraded');
  expect(receiver().lastError?.message).toMatch(/ECONNREFUSED|cannot connect/);
  expect(g.status().commitError).toBeNull();

  // The next retry comes 6 s after the next failure: restart the broker and publish phase B in that gap.
  backoff.initialMs = 8_000;
  backoff.maxMs = 8_000;
  const failures = receiver().failures;
  await waitFor('one more failed reconnect', () => (receiver().failures > failures ? true : undefined));
  await broker.start();
  await publish(PER_PHASE, PER_PHASE);
  expect(receiver().state).toBe('degraded'); // B waits in the gateway's persistent session at the broker

  await waitFor('the supervisor to reconnect', () => (receiver().state === 'connected' ? true : undefined), {
    timeoutMs: 30_000,
  });
  expect(receiver().failures).toBe(0);
  backoff.initialMs = 50;
  backoff.maxMs = 200;

  // Phase C, live, then a reading far ahead that closes every window.
  await publish(2 * PER_PHASE, PER_PHASE);
  await publish(10_000_000, 1);
  const total = 3 * PER_PHASE;
  const lines = await waitFor(
    'every reading counted',
    async () => {
      const got = await results(out);
      return got.reduce((n, r) => n + r.values.n, 0) >= total ? got : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(lines.reduce((n, r) => n + r.values.n, 0)).toBe(total);
  expect(lines.reduce((n, r) => n + r.values.v_sum, 0)).toBe((total * (total - 1)) / 2);
  expect(new Set(lines.map((r) => r.id)).size).toBe(lines.length);
  expect(await g.deadLetters()).toEqual([]);
  expect(receiver().state).toBe('connected');
}, 60_000);
