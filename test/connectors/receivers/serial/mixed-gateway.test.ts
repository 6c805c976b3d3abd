// End to end, in-process, with examples/gateway-mixed.yaml as it ships (paths and URLs from the environment): a
// CSV line sensor on a real pty and key=value MQTT sensors through a real Mosquitto feed the same windowed
// pipeline; two simulated Modbus units answer on a second pty. The window results must be exactly what an
// independent computation over the readings sent gives.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import pino from 'pino';
import type { SerialPort } from 'serialport';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../../../daemon/app.js';
import { loadConfig } from '../../../../daemon/config/load.js';
import { LineSensor, type SensorReading } from '../../../../hardware/simulators/line-sensor.js';
import { ModbusSlave } from '../../../../hardware/simulators/modbus-slave.js';
import {
  closeSimulatorPort,
  openSimulatorPort,
  writeAndDrain,
} from '../../../../hardware/simulators/stream.js';
import { readJsonLines } from '../../../support/jsonl.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { startPtyPair, type PtyPair } from '../../../support/pty-pair.js';
import { waitFor } from '../../../support/wait.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/gateway-mixed.yaml', import.meta.url));
const T0 = 1_700_000_040_000; // a whole minute: the example's windows are 1 min long
const SECONDS = 150; // readings cover three windows

let broker: Mosquitto;
let dir: string;
let csvPty: PtyPair;
let busPty: PtyPair;
let csvPort: SerialPort | undefined;
let busPort: SerialPort | undefined;
let gateway: Gateway | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-mixed-'));
  csvPty = await startPtyPair();
  busPty = await startPtyPair();
});

afterAll(async () => {
  await gateway?.stop();
  if (csvPort !== undefined) await closeSimulatorPort(csvPort);
  if (busPort !== undefined) await closeSimulatorPort(busPort);
  await csvPty.close();
  await busPty.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface WindowLine {
  id: string;
  key: string;
  pipeline: string;
  windowStart: number;
  windowEnd: number;
  values: Record<string, number>;
}

test('serial CSV and MQTT key=value sensors feed one pipeline; the windows match an independent computation', async () => {
  const out = path.join(dir, 'out');
  const config = await loadConfig(EXAMPLE, {
    env: {
      SLUICE_STATE_DIR: path.join(dir, 'state'),
      SLUICE_OUT_DIR: out,
      BOILER_TTY: csvPty.devPath,
      RS485_TTY: busPty.devPath,
      MQTT_URL: broker.url,
    },
  });
  busPort = await openSimulatorPort(busPty.simPath, 9600);
  new ModbusSlave({ unitId: 1, input: { 1: 215, 2: 400 } }).attach(busPort);
  new ModbusSlave({ unitId: 2, input: { 1: 42, 2: 910 } }).attach(busPort);

  gateway = createGateway(config, { log: pino({ level: 'silent' }) });
  await gateway.start();
  await waitFor('every receiver connected', () =>
    ['boiler', 'plant-room', 'sensors'].every((id) => gateway?.status().receivers[id]?.state === 'connected')
      ? true
      : undefined,
  );

  // The devices: two boiler sensors on the serial line (CSV, header first), three room sensors over MQTT.
  const boiler = new LineSensor({ format: 'csv', sensors: 2, prefix: 'boiler', seed: 1, startMs: T0 });
  const rooms = new LineSensor({ format: 'kv', sensors: 3, prefix: 'room', seed: 11, startMs: T0 });
  csvPort = await openSimulatorPort(csvPty.simPath, 9600);
  const client = await mqtt.connectAsync(broker.url, { clientId: 'mixed-publisher' });
  const sent: SensorReading[] = [];
  await writeAndDrain(csvPort, `${boiler.header() ?? ''}\r\n`);
  // Second by second, both sources: they reach the pipeline in about event-time order, well within its 30 s
  // lateness.
  for (let s = 0; s < SECONDS; s++) {
    let lines = '';
    for (let i = 0; i < 2; i++) {
      const r = boiler.next();
      sent.push(r);
      lines += `${r.ts},${r.sensor},${r.temp},${r.hum}\r\n`;
    }
    if (s === 10) lines += 'garbage,line\r\n'; // a dead letter, not a stop
    await writeAndDrain(csvPort, lines);
    for (let i = 0; i < 3; i++) {
      const r = rooms.next();
      sent.push(r);
      await client.publishAsync(
        `sensors/${r.sensor}/telemetry`,
        `ts=${r.ts} sensor=${r.sensor} temp=${r.temp} hum=${r.hum}`,
        { qos: 1 },
      );
    }
  }
  // Out of the where-filter's range: dropped, counted nowhere in the windows.
  await client.publishAsync('sensors/room-1/telemetry', `ts=${T0 + 5_000} sensor=room-1 temp=999 hum=1`, {
    qos: 1,
  });
  await waitFor('every reading in the write-ahead log', () => {
    const status = gateway?.status().receivers;
    const csv = status?.boiler?.records ?? 0;
    const mqttRecords = status?.sensors?.records ?? 0;
    return csv >= 2 * SECONDS && mqttRecords >= 3 * SECONDS + 1 ? true : undefined;
  });
  // A reading ten minutes on moves the watermark past every window of the data.
  await writeAndDrain(csvPort, `${T0 + 600_000},boiler-1,60,40\r\n`);
  await client.endAsync();

  // Expected, computed here from what was sent: tumbling 1 min windows per sensor.
  const expected = new Map<string, SensorReading[]>();
  for (const r of sent) {
    const start = r.ts - ((r.ts - T0) % 60_000);
    const id = `boiler-room-1/temp-1m/${r.sensor}/${start}`;
    expected.set(id, [...(expected.get(id) ?? []), r]);
  }
  expect(expected.size).toBe(5 * 3);
  const file = path.join(out, 'boiler-room.jsonl');
  const windows = await waitFor('every window of temp-1m in the file', async () => {
    const got = (await readJsonLines<WindowLine>(file)).filter((l) => l.pipeline === 'temp-1m');
    return got.length >= expected.size ? got : undefined;
  });

  expect(windows.map((w) => w.id).sort()).toEqual([...expected.keys()].sort());
  for (const w of windows) {
    const readings = expected.get(w.id) ?? [];
    const temps = readings.map((r) => r.temp);
    const hums = readings.map((r) => r.hum);
    expect(w.windowEnd - w.windowStart).toBe(60_000);
    expect(w.values.n).toBe(readings.length);
    expect(w.values.temp_avg).toBeCloseTo(temps.reduce((a, b) => a + b, 0) / temps.length, 9);
    expect(w.values.temp_max).toBe(Math.max(...temps));
    expect(w.values.hum_avg).toBeCloseTo(hums.reduce((a, b) => a + b, 0) / hums.length, 9);
  }
  // Both sources are in it: serial sensors and MQTT sensors.
  expect(new Set(windows.map((w) => w.key))).toEqual(
    new Set(['boiler-1', 'boiler-2', 'room-1', 'room-2', 'room-3']),
  );

  // The garbage line is a dead letter with its reason; the header is neither a record nor a dead letter.
  const letters = await gateway.deadLetters({ receiver: 'boiler' });
  expect(letters.map((l) => l.reason)).toEqual(['CSV line has 2 cells, expected 4: "garbage,line"']);

  // The Modbus bus: both units polled (each poll a record), none dead-lettered.
  await waitFor('a poll of each Modbus unit', () =>
    (gateway?.status().receivers['plant-room']?.records ?? 0) >= 2 ? true : undefined,
  );
  expect(await gateway.deadLetters({ receiver: 'plant-room' })).toEqual([]);
});
