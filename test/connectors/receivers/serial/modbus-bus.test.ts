// Several Modbus devices on one bus, over a real pty: simulated slaves answer for units 1 and 2, unit 3 is not
// there. Each poll is one record keyed by its device; the missing unit is dead-lettered per poll and does not
// stop the others; requests never overlap on the bus (each answered request is answered before the next is sent).
import type { SerialPort } from 'serialport';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SerialReceiver } from '../../../../connectors/receivers/serial/receiver.js';
import { ModbusSlave, type ByteStream } from '../../../../hardware/simulators/modbus-slave.js';
import { startPtyPair, type PtyPair } from '../../../support/pty-pair.js';
import { closeDevice, DecodingHost, openDevice, serialConfig } from './serial-host.js';

let pty: PtyPair;
let device: SerialPort;
let receiver: SerialReceiver | undefined;
/** What the bus carried, in order: a request to a unit (R) or an answer from one (A). */
let bus: string[];
let wire: ByteStream;
let slaves: ModbusSlave[];

beforeEach(async () => {
  pty = await startPtyPair();
  device = await openDevice(pty.simPath);
  bus = [];
  // Listens first, so a request is logged before the slaves answer it. The master sends 8-byte requests only.
  let pending = Buffer.alloc(0);
  device.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      bus.push(`R${pending[0]}`);
      pending = pending.subarray(8);
    }
  });
  wire = {
    on: (event, listener) => device.on(event, listener),
    off: (event, listener) => device.off(event, listener),
    write: (bytes) => {
      bus.push(`A${bytes[0]}`);
      return device.write(bytes);
    },
  };
  // Two transmitters on the same wire: 21.5 °C / 40.0 %RH and −3.2 °C / 85.1 %RH.
  slaves = [
    new ModbusSlave({ unitId: 1, input: { 1: 215, 2: 400 } }),
    new ModbusSlave({ unitId: 2, input: { 1: -32 & 0xffff, 2: 851 } }),
  ];
  for (const slave of slaves) slave.attach(wire);
});

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await closeDevice(device);
  await pty.close();
});

test('polls each unit on the bus into records keyed by device; a missing unit is dead-lettered and stalls no one', async () => {
  const config = serialConfig({
    path: pty.devPath,
    profile: 'sht3x-modbus',
    // The units that answer keep the profile's 1 s timeout: a loaded machine has delayed an answer past 150 ms.
    modbus: {
      pollInterval: '100ms',
      devices: [
        { name: 'attic', unitId: 1 },
        { name: 'cellar', unitId: 2 },
        { name: 'garage', unitId: 3, timeout: '200ms' },
      ],
    },
  });
  expect(config.key).toBe('device');
  const host = new DecodingHost('climate', config);
  receiver = new SerialReceiver('climate', config, host);
  await receiver.connect();

  await host.waitFor('3 dead letters and records from both answering units', () => {
    const keys = host.records.map((r) => r.key);
    return host.dead.length >= 3 && keys.filter((k) => k === 'attic').length >= 3 && keys.includes('cellar');
  });
  const attic = host.records.find((r) => r.key === 'attic');
  const cellar = host.records.find((r) => r.key === 'cellar');
  expect(attic?.fields).toEqual({ device: 'attic', temperature: 21.5, humidity: 40 });
  expect(cellar?.fields).toEqual({ device: 'cellar', temperature: -3.2, humidity: 85.1 });
  expect(host.records.every((r) => r.key === 'attic' || r.key === 'cellar')).toBe(true);
  for (const letter of host.dead) {
    expect(letter.reason).toMatch(
      /^modbus garage: no response from unit 3 within 200 ms \(reading input registers 1\+2\)$/,
    );
    expect(letter.payload.toString('hex')).toBe('03040001000221e9');
  }

  // Between two failed polls of the missing unit, the others were polled and answered: it held them up by its
  // timeout, not longer.
  const order = host.messages.map((m) => (m.error === undefined ? 'ok' : 'dead'));
  const firstDead = order.indexOf('dead');
  const secondDead = order.indexOf('dead', firstDead + 1);
  expect(order.slice(firstDead + 1, secondDead)).toContain('ok');

  // One exchange at a time: every request to a unit that answers is followed straight by its answer.
  const log = bus.slice(0, bus.lastIndexOf('R3'));
  log.forEach((entry, i) => {
    if (entry === 'R1' || entry === 'R2') expect(`${entry}:${log[i + 1]}`).toBe(`${entry}:A${entry[1]}`);
  });
  // Fair: between two requests to the missing unit, both others were asked (it never polls twice in a row).
  const missing = log.flatMap((e, i) => (e === 'R3' ? [i] : []));
  expect(missing.length).toBeGreaterThanOrEqual(2);
  for (let k = 1; k < missing.length; k++) {
    const between = log.slice((missing[k - 1] ?? 0) + 1, missing[k]);
    expect(between).toContain('R1');
    expect(between).toContain('R2');
  }
});

test("a unit's answer that comes after its timeout is dropped, not taken for the next unit's response", async () => {
  // Unit 3 answers each request only once the master has given up on it and asked unit 1: its late answer
  // reaches the master during unit 1's exchange, just before unit 1's own (no timing to it: the answer is held
  // until the next request is on the wire). Read as unit 1's response, it would fail unit 1's poll.
  const late = new ModbusSlave({ unitId: 3, input: { 1: 100, 2: 200 } });
  let held: Buffer | undefined;
  let lateAnswers = 0;
  let pending = Buffer.alloc(0);
  // Before the slaves' listeners: the held answer goes out ahead of unit 1's.
  device.prependListener('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (; pending.length >= 8; pending = pending.subarray(8)) {
      const request = pending.subarray(0, 8);
      if (request[0] === 3) held = late.respond(Buffer.from(request));
      else if (request[0] === 1 && held !== undefined) {
        wire.write(held);
        held = undefined;
        lateAnswers++;
      }
    }
  });
  const config = serialConfig({
    path: pty.devPath,
    profile: 'sht3x-modbus',
    modbus: {
      pollInterval: '100ms',
      devices: [
        { name: 'attic', unitId: 1 },
        { name: 'late', unitId: 3, timeout: '200ms' },
      ],
    },
  });
  const host = new DecodingHost('bus', config);
  receiver = new SerialReceiver('bus', config, host);
  await receiver.connect();
  await host.waitFor(
    '3 late answers, and a record after each',
    () => lateAnswers >= 3 && host.records.length >= 3 && host.dead.length >= 3,
  );
  // Each late answer went out on a request to unit 1, before its answer (the bus log takes the request after the
  // listener above has sent the late answer, so it reads A3 R1 A1).
  expect(bus.join(' ').match(/A3 R1 A1/g)?.length).toBe(lateAnswers);
  for (const record of host.records)
    expect(record.fields).toEqual({ device: 'attic', temperature: 21.5, humidity: 40 });
  for (const letter of host.dead)
    expect(letter.reason).toMatch(/^modbus late: no response from unit 3 within 200 ms/);
});
