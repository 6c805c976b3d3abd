// Modbus RTU polling over real ptys: the receiver is the master on one side, a simulated slave answers on the
// other. Each poll becomes one record with scaled values; a timeout, a bad CRC or an exception from the slave
// becomes one dead letter with the reason, and polling goes on.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SerialPort } from 'serialport';
import { SerialReceiver } from '../../../../connectors/receivers/serial/receiver.js';
import { ModbusSlave } from '../../../../hardware/simulators/modbus-slave.js';
import { startPtyPair, type PtyPair } from '../../../support/pty-pair.js';
import { closeDevice, DecodingHost, openDevice, serialConfig } from './serial-host.js';

let pty: PtyPair;
let device: SerialPort;
let receiver: SerialReceiver | undefined;
let slave: ModbusSlave;

beforeEach(async () => {
  pty = await startPtyPair();
  device = await openDevice(pty.simPath);
  // An XY-MD02 style transmitter: −40.5 °C (int16 0xFE6B) and 55.3 %RH.
  slave = new ModbusSlave({ unitId: 1, input: { 1: 0xfe6b, 2: 553 } });
  slave.attach(device);
});

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await closeDevice(device);
  await pty.close();
});

async function poll(input: Record<string, unknown>): Promise<DecodingHost> {
  const config = serialConfig({ path: pty.devPath, ...input });
  const host = new DecodingHost('th', config);
  receiver = new SerialReceiver('th', config, host);
  await receiver.connect();
  return host;
}

// Polls often; each response is awaited the profile's timeout (1 s). A slave that answers must not be taken for
// one that does not: here it runs in this process and answers through socat, which a loaded machine has delayed
// past 150 ms. Only the test of a silent slave sets a short timeout (it waits that long for each dead letter).
const fast = { pollInterval: '50ms' };

describe('the sht3x-modbus profile', () => {
  test('turns each poll into one record with scaled, signed values', async () => {
    const host = await poll({ profile: 'sht3x-modbus', modbus: fast });
    await host.waitForRecords(3);
    expect(host.records[0]?.fields).toEqual({ temperature: -40.5, humidity: 55.3 });
    expect(host.records[0]?.key).toBe('th');
    expect(host.dead).toEqual([]);
    expect(slave.requests).toBeGreaterThanOrEqual(3);
  });

  test('dead-letters a poll the slave does not answer, and records again once it does', async () => {
    slave.behaviour = { kind: 'silent' };
    const host = await poll({ profile: 'sht3x-modbus', modbus: { ...fast, timeout: '150ms' } });
    await host.waitForDead(1);
    expect(host.dead[0]?.reason).toMatch(
      /no response from unit 1 within 150 ms \(reading input registers 1\+2\)/,
    );
    // The dead letter keeps the request that got no answer.
    expect(host.dead[0]?.payload.toString('hex')).toBe('010400010002200b');
    slave.behaviour = { kind: 'normal' };
    await host.waitForRecords(1);
    expect(host.records[0]?.fields).toEqual({ temperature: -40.5, humidity: 55.3 });
  });

  test('dead-letters a response with a bad CRC, with its bytes', async () => {
    slave.behaviour = { kind: 'bad-crc' };
    const host = await poll({ profile: 'sht3x-modbus', modbus: fast });
    await host.waitForDead(1);
    expect(host.dead[0]?.reason).toMatch(/CRC mismatch/);
    expect(host.dead[0]?.payload.subarray(0, 3)).toEqual(Buffer.from([0x01, 0x04, 0x04]));
    expect(host.records).toEqual([]);
  });

  test('dead-letters an exception from the slave with its name', async () => {
    slave.behaviour = { kind: 'exception', code: 0x02 };
    const host = await poll({ profile: 'sht3x-modbus', modbus: fast });
    await host.waitForDead(1);
    expect(host.dead[0]?.reason).toMatch(/exception 2 \(illegal data address\)/);
    expect(host.records).toEqual([]);
  });
});

describe('an inline register map', () => {
  test('reads holding and input blocks, float32 with word order, into one record per poll', async () => {
    const f = Buffer.alloc(4);
    f.writeFloatBE(230.5);
    slave.set('holding', 10, f.readUInt16BE(2)); // little word order: low word first
    slave.set('holding', 11, f.readUInt16BE(0));
    slave.set('input', 100, 1234);
    const host = await poll({
      format: 'modbus',
      framing: { type: 'inter-byte-timeout', gapMs: 20 },
      modbus: {
        ...fast,
        registers: [
          { name: 'voltage', table: 'holding', address: 10, type: 'float32', wordOrder: 'little' },
          { name: 'energy', table: 'input', address: 100, scale: 0.01, offset: 1 },
        ],
      },
    });
    await host.waitForRecords(2);
    expect(host.records[0]?.fields).toEqual({ voltage: 230.5, energy: 13.34 });
    expect(host.dead).toEqual([]);
  });
});
