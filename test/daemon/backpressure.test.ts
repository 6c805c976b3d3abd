// Bounded memory under a flood: with a tiny intake bound and batches far slower than the broker, the gateway
// holds at most the bound in memory, reports backpressure, and leaves the rest with the broker (the MQTT
// receiver stops reading and acknowledging); as batches drain the intake everything arrives, nothing lost.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { loadConfig } from '../../daemon/config/load.js';
import { mqttSensors, writeCountingConfig } from '../support/gateway-configs.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { readJsonLines } from '../support/jsonl.js';
import { waitFor } from '../support/wait.js';

const T0 = 1_700_000_000_000;
const READINGS = 800;
const MAX_PENDING = 50;

let broker: Mosquitto;
let dir: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  // The broker reports how many messages it holds on $SYS every second.
  broker = await startMosquitto({ extraConfig: ['sys_interval 1'] });
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-backpressure-'));
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

test('holds at most the intake bound, leaves the rest with the broker, and loses nothing', async () => {
  const out = path.join(dir, 'out.jsonl');
  const file = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(file, {
    id: 'bp',
    stateDir: path.join(dir, 'state'),
    batchInterval: '500ms',
    receivers: { sensors: mqttSensors({ url: broker.url, qos: 1 }) },
    out,
  });
  gateway = createGateway(await loadConfig(file), {
    log: pino({ level: 'silent' }),
    intake: { maxPending: MAX_PENDING },
  });
  const g = gateway;
  await g.start();
  await waitFor('the receiver to connect', () =>
    g.status().receivers.sensors?.state === 'connected' ? true : undefined,
  );

  // Watch the intake the whole time (a sampler, not a synchronisation).
  let maxPending = 0;
  let sawBackpressure = false;
  const sampler = setInterval(() => {
    const { pending, backpressured } = g.status().intake;
    maxPending = Math.max(maxPending, pending);
    sawBackpressure ||= backpressured;
  }, 2);

  try {
    // Everything at once: the broker acknowledges all of it long before the gateway could take it.
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'bp-publisher' });
    await Promise.all(
      Array.from({ length: READINGS }, (_, i) =>
        publisher.publishAsync(`s/k${i % 10}`, JSON.stringify({ ts: T0 + i * 10, v: i }), { qos: 1 }),
      ),
    );

    await waitFor('backpressure in the status', () => (g.status().intake.backpressured ? true : undefined));
    // A fresh (not retained) report from the broker, made after every reading was acknowledged to the publisher.
    const observer = await mqtt.connectAsync(broker.url, { clientId: 'bp-observer' });
    const held = new Promise<number>((resolve) => {
      observer.on('message', (_topic, payload, packet) => {
        if (!packet.retain) resolve(Number(payload.toString()));
      });
    });
    await observer.subscribeAsync('$SYS/broker/store/messages/count');
    const brokerHolds = await held;
    const taken = g.status().receivers.sensors?.records ?? 0;
    await observer.endAsync();
    // What the gateway has not written to its WAL is still the broker's (nothing acknowledged and dropped, nothing
    // read into an unbounded buffer): and most of it is, at this point.
    expect(brokerHolds + taken).toBeGreaterThanOrEqual(READINGS);
    expect(brokerHolds).toBeGreaterThan(READINGS / 2);

    // A reading far ahead closes every window once it gets through.
    await publisher.publishAsync('s/flush', JSON.stringify({ ts: T0 + 10_000_000, v: 0 }), { qos: 1 });
    await publisher.endAsync();
    const lines = await waitFor(
      'every reading counted',
      async () => {
        const got = await results(out);
        return got.reduce((n, r) => n + r.values.n, 0) >= READINGS ? got : undefined;
      },
      { timeoutMs: 40_000 },
    );
    expect(lines.reduce((n, r) => n + r.values.n, 0)).toBe(READINGS);
    expect(lines.reduce((n, r) => n + r.values.v_sum, 0)).toBe((READINGS * (READINGS - 1)) / 2);
    expect(new Set(lines.map((r) => r.id)).size).toBe(lines.length);
  } finally {
    clearInterval(sampler);
  }

  expect(sawBackpressure).toBe(true);
  // One receiver hands over one message at a time, so the bound holds exactly.
  expect(maxPending).toBeLessThanOrEqual(MAX_PENDING);
  expect(maxPending).toBe(MAX_PENDING);
  // Holding the broker back is not a failure: the connection stayed up throughout.
  expect(g.status().receivers.sensors).toMatchObject({ state: 'connected', failures: 0, lastError: null });
  expect(g.status().intake.backpressured).toBe(false);
  // Several batches drained the bound, none took more than it (+ the one delivery in progress).
  const batches = g.status().batches.filter((b) => b.records > 0);
  expect(batches.length).toBeGreaterThanOrEqual(READINGS / MAX_PENDING);
  expect(Math.max(...batches.map((b) => b.records))).toBeLessThanOrEqual(MAX_PENDING);
}, 60_000);
