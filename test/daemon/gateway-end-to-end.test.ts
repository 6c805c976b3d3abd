// End to end, in-process: a real Mosquitto, the MQTT receiver, the LevelDB store, event-time windows and the file
// sink. A deterministic dataset (100 sensors, out of order within the lateness, some late beyond it, some
// malformed) must give exactly the window results an independent computation expects.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { loadConfig } from '../../daemon/config/load.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { readJsonLines } from '../support/jsonl.js';
import { waitFor } from '../support/wait.js';

const T0 = 1_700_000_000_000; // event-time origin of the dataset, a multiple of the window slide
const SENSORS = 100;

let broker: Mosquitto;
let dir: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-e2e-'));
});

afterAll(async () => {
  await gateway?.stop();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Reading {
  sensor: string;
  ts: number;
  temp: number;
}

const readLines = (file: string): Promise<Record<string, unknown>[]> => readJsonLines(file);

describe('a gateway fed over MQTT', () => {
  test('writes exactly the expected window results, and dead-letters malformed and late input', async () => {
    const out = path.join(dir, 'out', 'climate.jsonl');
    const configFile = path.join(dir, 'sluice.yaml');
    await writeFile(
      configFile,
      `gateway: { id: gw-e2e }
batch: { interval: 100ms }
state: { dir: ${path.join(dir, 'state')}, durability: process }
receivers:
  climate:
    type: mqtt
    url: ${broker.url}
    topics: ["sensors/+/telemetry"]
    qos: 1
    format: json
    key: topicParts[1]
    time: ts
pipelines:
  climate-2s:
    from: [climate]
    where: temp > -40.0 && temp < 85.0
    window: { length: 2s, slide: 1s, lateness: 10s }
    aggregate:
      n: count()
      temp_avg: avg(temp)
      temp_max: max(temp)
      temp_p95: p95(temp)
    to: [archive]
sinks:
  archive: { type: file, path: ${out} }
`,
    );
    const config = await loadConfig(configFile);
    gateway = createGateway(config, { log: pino({ level: 'silent' }) });
    await gateway.start();
    await waitFor('the receiver to connect', () =>
      gateway?.status().receivers.climate?.state === 'connected' ? true : undefined,
    );

    // Phase A: 10 s of readings from 100 sensors, shuffled: out of order, but all within the 10 s lateness.
    const random = rng(7);
    const readings: Reading[] = [];
    for (let s = 0; s < SENSORS; s++) {
      for (let i = 0; i < 10; i++) {
        readings.push({
          sensor: `t-${s}`,
          ts: T0 + i * 1000 + Math.floor(random() * 1000),
          temp: Math.round(random() * 600 - 100) / 10,
        });
      }
    }
    readings.sort(() => random() - 0.5);
    const client = await mqtt.connectAsync(broker.url, { clientId: 'e2e-publisher' });
    for (const r of readings) {
      await client.publishAsync(`sensors/${r.sensor}/telemetry`, JSON.stringify({ ts: r.ts, temp: r.temp }), {
        qos: 1,
      });
    }
    // Malformed: not JSON, no time field, a time that is no time, and one the where-filter drops (out of range).
    await client.publishAsync('sensors/t-0/telemetry', '{"ts": 17, "temp":', { qos: 1 });
    await client.publishAsync('sensors/t-0/telemetry', JSON.stringify({ temp: 20 }), { qos: 1 });
    await client.publishAsync('sensors/t-0/telemetry', JSON.stringify({ ts: 'yesterday', temp: 20 }), {
      qos: 1,
    });
    await client.publishAsync('sensors/t-0/telemetry', JSON.stringify({ ts: T0 + 500, temp: 999 }), {
      qos: 1,
    });
    await waitFor('phase A in the write-ahead log', () =>
      (gateway?.status().receivers.climate?.records ?? 0) >= readings.length + 1 ? true : undefined,
    );

    // Phase B: a reading at +25 s moves the watermark to +15 s: every window ending by then closes.
    await client.publishAsync('sensors/t-0/telemetry', JSON.stringify({ ts: T0 + 25_000, temp: 1 }), {
      qos: 1,
    });
    // Expected: hopping 2 s windows every 1 s, per sensor, over phase A (the filtered reading excluded).
    const expected = new Map<string, number[]>();
    for (const r of readings) {
      const first = Math.floor((r.ts - T0) / 1000) * 1000 + T0;
      for (const start of [first - 1000, first]) {
        const id = `gw-e2e/climate-2s/${r.sensor}/${start}`;
        const temps = expected.get(id) ?? [];
        temps.push(r.temp);
        expected.set(id, temps);
      }
    }
    const lines = await waitFor('every window in the file', async () => {
      const got = await readLines(out);
      return got.length >= expected.size ? got : undefined;
    });

    // Phase C: readings for windows already emitted are late: dead letters, not silently dropped.
    await client.publishAsync('sensors/t-5/telemetry', JSON.stringify({ ts: T0 + 3_000, temp: 5 }), {
      qos: 1,
    });
    const late = await waitFor('the late reading to be dead-lettered', async () => {
      const letters = (await gateway?.deadLetters({ receiver: 'climate' })) ?? [];
      return letters.find((l) => l.reason.includes('late')) ?? undefined;
    });
    expect(late.topic).toBe('sensors/t-5/telemetry');
    expect(late.reason).toBe('pipeline climate-2s: late: its window had already been emitted');
    await client.endAsync();

    expect(lines.length).toBe(expected.size);
    for (const line of lines) {
      const temps = expected.get(line.id as string);
      expect(temps, `unexpected window ${String(line.id)}`).toBeDefined();
      if (temps === undefined) continue;
      const values = line.values as Record<string, number>;
      const sorted = [...temps].sort((a, b) => a - b);
      expect(values.n).toBe(temps.length);
      expect(values.temp_avg).toBeCloseTo(temps.reduce((a, b) => a + b, 0) / temps.length, 9);
      expect(values.temp_max).toBe(sorted.at(-1));
      const exactP95 = sorted[Math.floor(0.95 * (sorted.length - 1))] as number;
      expect(Math.abs((values.temp_p95 ?? NaN) - exactP95)).toBeLessThanOrEqual(
        0.01 * Math.abs(exactP95) + 1e-9,
      );
      expect(line.windowEnd).toBe((line.windowStart as number) + 2000);
      expect(line.gateway).toBe('gw-e2e');
      expect(line.pipeline).toBe('climate-2s');
    }
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
    // Three decoding failures at the intake, each with its reason; the late one is a pipeline rejection.
    expect(gateway.status().receivers.climate?.deadLetters).toBe(3);
    const reasons = (await gateway.deadLetters({ receiver: 'climate' })).map((l) => l.reason).sort();
    expect(reasons).toEqual([
      expect.stringMatching(/^invalid JSON: /),
      'pipeline climate-2s: late: its window had already been emitted',
      'time field "ts" is missing',
      'time field "ts" is not a time (auto)',
    ]);
  });
});
