// End to end, in-process, over real ptys: a Modbus transmitter (sht3x-modbus profile, a simulated slave) and a
// CSV line device with a header feed a gateway (intake, LevelDB WAL, windowed pipelines, file sink). Windows carry
// the slave's scaled values; the CSV header gives no record and no dead letter; a silent slave is dead-lettered.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { SerialPort } from 'serialport';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../../../daemon/app.js';
import { loadConfig } from '../../../../daemon/config/load.js';
import { ModbusSlave } from '../../../../hardware/simulators/modbus-slave.js';
import { startPtyPair, type PtyPair } from '../../../support/pty-pair.js';
import { waitFor } from '../../../support/wait.js';
import { closeDevice, openDevice, send } from './serial-host.js';

let dir: string;
let modbusPty: PtyPair;
let csvPty: PtyPair;
let slavePort: SerialPort;
let csvPort: SerialPort | undefined;
let gateway: Gateway | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-serial-e2e-'));
  modbusPty = await startPtyPair();
  csvPty = await startPtyPair();
  slavePort = await openDevice(modbusPty.simPath);
});

afterAll(async () => {
  await gateway?.stop();
  await closeDevice(slavePort);
  await closeDevice(csvPort);
  await modbusPty.close();
  await csvPty.close();
  await rm(dir, { recursive: true, force: true });
});

async function readLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a gateway polls a Modbus transmitter and reads a CSV device into windows in a file', async () => {
  const slave = new ModbusSlave({ unitId: 1, input: { 1: 0xfe6b, 2: 553 } }); // −40.5 °C, 55.3 %RH
  slave.attach(slavePort);
  const out = path.join(dir, 'out', 'climate.jsonl');
  const configFile = path.join(dir, 'sluice.yaml');
  await writeFile(
    configFile,
    `gateway: { id: gw-serial }
batch: { interval: 100ms }
state: { dir: ${path.join(dir, 'state')} }
receivers:
  room:
    type: serial
    path: ${modbusPty.devPath}
    profile: sht3x-modbus
    modbus: { pollInterval: 50ms, timeout: 200ms }
  boiler:
    type: serial
    path: ${csvPty.devPath}
    format: csv
    header: true
    key: sensor
pipelines:
  room-1s:
    from: [room]
    window: { length: 1s }
    aggregate:
      n: count()
      temp: avg(temperature)
      hum: max(humidity)
    to: [archive]
  boiler-1s:
    from: [boiler]
    window: { length: 1s }
    aggregate:
      n: count()
      temp_max: max(temp)
    to: [archive]
sinks:
  archive: { type: file, path: ${out} }
`,
  );
  const config = await loadConfig(configFile);
  gateway = createGateway(config, { log: pino({ level: 'silent' }) });
  await gateway.start();
  await waitFor('both receivers connected', () =>
    gateway?.status().receivers.room?.state === 'connected' &&
    gateway.status().receivers.boiler?.state === 'connected'
      ? true
      : undefined,
  );

  csvPort = await openDevice(csvPty.simPath);
  await send(csvPort, 'sensor,temp\r\nflow,61.5\r\nflow,62\r\nflow\r\n');

  const csvAt = await waitFor('the CSV lines in the WAL', () => {
    const boiler = gateway?.status().receivers.boiler;
    return boiler !== undefined && boiler.records >= 2 ? boiler.lastRecordMs : undefined;
  });
  // Windows close as later records move the watermark: once the Modbus windows show the CSV lines' second is
  // over, one more line closes theirs.
  const secondOver = Math.floor((csvAt ?? 0) / 1000) * 1000 + 1000;
  await waitFor('the second of the CSV lines to pass', async () =>
    (await readLines(out)).some((l) => (l.windowStart as number) >= secondOver) ? true : undefined,
  );
  await send(csvPort, 'flow,70\r\n');
  const lines = await waitFor('windows of both pipelines in the file', async () => {
    const got = await readLines(out);
    const room = got.filter((l) => l.pipeline === 'room-1s');
    const boiler = got.filter((l) => l.pipeline === 'boiler-1s');
    return room.length >= 2 && boiler.length >= 1 ? { room, boiler } : undefined;
  });
  for (const window of lines.room) {
    expect(window.key).toBe('room');
    expect(window.values).toMatchObject({ temp: -40.5, hum: 55.3 });
  }
  const flow = lines.boiler.filter((w) => w.key === 'flow');
  expect(flow[0]?.values).toEqual({ n: 2, temp_max: 62 });

  // The header line is neither a record nor a dead letter; the short line is a dead letter.
  const boiler = gateway.status().receivers.boiler;
  expect(boiler?.records).toBe(3);
  expect(boiler?.deadLetters).toBe(1);
  const [letter] = await gateway.deadLetters({ receiver: 'boiler' });
  expect(letter?.reason).toMatch(/1 cells, expected 2/);

  // A slave that stops answering: each poll is a dead letter with the reason, and the gateway runs on.
  slave.behaviour = { kind: 'silent' };
  const timeout = await waitFor('a dead-lettered poll', async () => {
    const letters = (await gateway?.deadLetters({ receiver: 'room' })) ?? [];
    return letters.find((l) => l.reason.includes('no response')) ?? undefined;
  });
  expect(timeout.reason).toMatch(/modbus: no response from unit 1 within 200 ms/);
  expect(timeout.encoding).toBe('hex');
  expect(gateway.status().receivers.room?.state).toBe('connected');
});
