// The serial receiver over real ptys (socat): line, CSV, key=value and NMEA devices. What a device sends arrives
// as records, decoded by the intake's own builder; garbage becomes dead letters with its bytes and a reason, and
// the next good frame still arrives.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SerialPort } from 'serialport';
import { READ_AHEAD, SerialReceiver } from '../../../../connectors/receivers/serial/receiver.js';
import { startPtyPair, type PtyPair } from '../../../support/pty-pair.js';
import { waitFor } from '../../../support/wait.js';
import { closeDevice, DecodingHost, nmea, openDevice, send, serialConfig } from './serial-host.js';

let pty: PtyPair;
let device: SerialPort | undefined;

/** The device side, open once open() ran. */
function dev(): SerialPort {
  if (device === undefined) throw new Error('open() first');
  return device;
}
let receiver: SerialReceiver | undefined;

beforeEach(async () => {
  pty = await startPtyPair();
});

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await closeDevice(device);
  device = undefined;
  await pty.close();
});

async function open(input: Record<string, unknown>): Promise<DecodingHost> {
  const config = serialConfig({ path: pty.devPath, ...input });
  const host = new DecodingHost('dev', config);
  receiver = new SerialReceiver('dev', config, host);
  await receiver.connect();
  device = await openDevice(pty.simPath);
  return host;
}

describe('a line device', () => {
  test('delivers JSON lines as records keyed by the receiver id, from the port path', async () => {
    const host = await open({ format: 'json' });
    await send(dev(), '{"temp":21.5}\r\n{"temp":');
    await send(dev(), '22}\n');
    await host.waitForRecords(2);
    expect(host.records.map((r) => r.fields)).toEqual([{ temp: 21.5 }, { temp: 22 }]);
    expect(host.records[0]?.key).toBe('dev');
    expect(host.records[0]?.topic).toBe(pty.devPath);
    expect(host.dead).toEqual([]);
  });

  test('dead-letters binary junk and an overlong line with their bytes, then reads on', async () => {
    const host = await open({ format: 'json', framing: { type: 'line', maxLength: 16 } });
    await send(dev(), Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x0a]));
    await send(dev(), `${'x'.repeat(40)}\n`);
    await send(dev(), '{"temp":1}\n');
    await host.waitForRecords(1);
    expect(host.records[0]?.fields).toEqual({ temp: 1 });
    expect(host.dead.length).toBeGreaterThanOrEqual(2);
    expect(host.dead[0]?.payload).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x81]));
    expect(host.dead[0]?.reason).toMatch(/UTF-8|JSON/);
    expect(host.dead.some((d) => /framing overflow/.test(d.reason))).toBe(true);
    expect(receiver?.frameErrors).toBeGreaterThanOrEqual(1);
  });
});

describe('a CSV device', () => {
  test('learns the columns from its header line, which gives no record and no dead letter', async () => {
    const host = await open({ format: 'csv', header: true, key: 'sensor', time: 'ts' });
    await send(dev(), 'ts,sensor,temp\r\n1700000000,boiler,61.5\r\n');
    await send(dev(), 'ts,sensor,temp\r\n1700000001,boiler\r\n1700000002,flow,40\r\n');
    await host.waitForRecords(2);
    await host.waitForDead(1);
    expect(host.records.map((r) => [r.key, r.eventMs, r.fields.temp])).toEqual([
      ['boiler', 1_700_000_000_000, 61.5],
      ['flow', 1_700_000_002_000, 40],
    ]);
    expect(host.dead).toHaveLength(1);
    expect(host.dead[0]?.reason).toMatch(/2 cells, expected 3/);
  });

  test('takes fixed column names from fields', async () => {
    const host = await open({ format: 'csv', fields: ['sensor', 'temp'], key: 'sensor' });
    await send(dev(), 'a,1\nb,2\n');
    await host.waitForRecords(2);
    expect(host.records.map((r) => [r.key, r.fields.temp])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });
});

describe('a key=value device', () => {
  test('decodes pairs and dead-letters a line cut off inside a quote', async () => {
    const host = await open({ format: 'kv' });
    await send(dev(), 'temp=21.5 hum=40\n');
    await send(dev(), 'room="liv\n');
    await send(dev(), 'temp=22 hum=41\n');
    await host.waitForRecords(2);
    expect(host.records.map((r) => r.fields)).toEqual([
      { temp: 21.5, hum: 40 },
      { temp: 22, hum: 41 },
    ]);
    expect(host.dead).toHaveLength(1);
  });
});

describe('a NMEA GPS (profile nmea-gps)', () => {
  test('decodes GGA and RMC, dead-letters a bad checksum and noise, and reads on', async () => {
    const host = await open({ profile: 'nmea-gps' });
    const gga = nmea('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,');
    const bad = gga.replace(/\*[0-9A-F]{2}/, '*00');
    await send(dev(), gga);
    await send(dev(), bad);
    await send(dev(), Buffer.from([0x00, 0x13, 0x37, 0x0a]));
    await send(dev(), nmea('GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W'));
    await host.waitForRecords(2);
    await host.waitForDead(2);
    expect(host.records.map((r) => r.fields.sentence)).toEqual(['GGA', 'RMC']);
    expect(host.records[0]?.fields.lat).toBeCloseTo(48.1173, 4);
    expect(host.dead[0]?.reason).toMatch(/checksum/i);
    expect(host.dead[1]?.payload).toEqual(Buffer.from([0x00, 0x13, 0x37]));
  });
});

describe('backpressure', () => {
  test('reads on while the intake holds a delivery, pauses the port after READ_AHEAD frames, then delivers all in order', async () => {
    const host = await open({ format: 'text' });
    host.mode = 'block';
    await send(dev(), 'a\n');
    await host.waitFor('a delivery pending', () => host.pending === 1);
    expect(receiver?.delivering).toBe(true);
    // Frames read meanwhile wait for the next delivery; the port reads on until READ_AHEAD of them wait.
    const more = Array.from({ length: READ_AHEAD + 50 }, (_, i) => `l${i}`);
    await send(dev(), `${more.join('\n')}\n`);
    await waitFor('the port paused', () => (receiver?.readPaused === true ? true : undefined));
    expect(host.calls).toBe(1);
    host.release();
    await host.waitForMessages(1 + more.length);
    expect(host.payloads()).toEqual(['a', ...more]);
    expect(host.maxPending).toBe(1);
    await waitFor('the port resumed', () => (receiver?.readPaused === false ? true : undefined));
  });

  test('keeps frames the intake refused and delivers them first after the reconnect', async () => {
    const host = await open({ format: 'text' });
    host.mode = 'reject';
    await send(dev(), 'kept\n');
    await host.waitFor('the refusal reported', () => host.disconnects.length === 1);
    expect(host.disconnects[0]?.message).toMatch(/intake refused/);
    host.mode = 'accept';
    await receiver?.connect();
    await host.waitForMessages(1);
    expect(host.payloads()).toEqual(['kept']);
  });
});

describe('random bytes', () => {
  test('never stop the receiver: everything is counted, and the next good line arrives', async () => {
    const host = await open({ format: 'json', framing: { type: 'line', maxLength: 256 } });
    let seed = 42;
    const random = Buffer.alloc(16_384);
    for (let i = 0; i < random.length; i++) {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      random[i] = seed >>> 16;
    }
    await send(dev(), random);
    await send(dev(), '\n{"after":"noise"}\n');
    await host.waitFor('the good line', () => host.records.some((r) => r.fields.after === 'noise'));
    expect(host.dead.length).toBeGreaterThan(0);
    // Every byte is accounted for: in a record, in a dead letter, or a line ending.
    const sent = Buffer.concat([random, Buffer.from('\n{"after":"noise"}\n')]);
    const endings = sent.filter((b) => b === 0x0a || b === 0x0d).length;
    const framed = host.messages.reduce((n, m) => n + m.payload.length, 0);
    expect(framed + endings).toBe(sent.length);
    expect(host.disconnects).toEqual([]);
  });
});
