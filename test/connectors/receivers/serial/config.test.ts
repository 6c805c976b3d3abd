// The serial receiver's `modbus.devices`: each device's settings resolve from its own keys, then its profile,
// then the modbus block, then the receiver's profile; a bad list is refused with the key and a fix.
import { describe, expect, test } from 'vitest';
import { serialReceiverConfigSchema } from '../../../../connectors/receivers/serial/config.js';
import { serialConfig } from './serial-host.js';

function issues(input: Record<string, unknown>): { path: string; message: string }[] {
  const result = serialReceiverConfigSchema.safeParse({ type: 'serial', path: '/dev/ttyUSB0', ...input });
  if (result.success) return [];
  return result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const temp = { name: 'temp', table: 'input', address: 1, type: 'int16', scale: 0.1 };

describe('modbus.devices', () => {
  test('resolves every device from its own keys, its profile, the modbus block and the receiver profile', () => {
    const config = serialConfig({
      path: '/dev/ttyUSB0',
      profile: 'sht3x-modbus',
      modbus: {
        pollInterval: '5s',
        devices: [
          { name: 'a', unitId: 1 },
          { name: 'b', unitId: 2, timeout: '300ms', registers: [temp] },
          { name: 'meter', unitId: 9, profile: 'sdm120-modbus' },
        ],
      },
    });
    expect(config.key).toBe('device');
    const [a, b, meter] = config.modbusDevices ?? [];
    expect(a).toMatchObject({ name: 'a', unitId: 1, pollInterval: 5000, timeout: 1000 });
    expect(a?.registers.map((r) => r.name)).toEqual(['temperature', 'humidity']);
    expect(b).toMatchObject({ name: 'b', unitId: 2, pollInterval: 5000, timeout: 300 });
    expect(b?.registers.map((r) => r.name)).toEqual(['temp']);
    // A device's own profile comes before the modbus block (sdm120: every 10 s).
    expect(meter).toMatchObject({ name: 'meter', unitId: 9, pollInterval: 10_000 });
    expect(meter?.registers.map((r) => r.name)).toContain('activePower');
  });

  test('one device without a list keeps its records as they were: no name, keyed by the receiver', () => {
    const config = serialConfig({ path: '/dev/ttyUSB0', profile: 'sht3x-modbus', modbus: { unitId: 4 } });
    expect(config.key).toBe('receiver');
    expect(config.modbusDevices).toHaveLength(1);
    expect(config.modbusDevices?.[0]).not.toHaveProperty('name');
    expect(config.modbusDevices?.[0]?.unitId).toBe(4);
  });

  test('refuses repeated names, a shared unitId key, a non-Modbus profile and a device without registers', () => {
    expect(
      issues({
        format: 'modbus',
        modbus: {
          unitId: 1,
          registers: [temp],
          devices: [
            { name: 'a', unitId: 1 },
            { name: 'a', unitId: 2 },
            { name: 'gps', unitId: 3, profile: 'nmea-gps' },
          ],
        },
      }),
    ).toEqual([
      { path: 'modbus.unitId', message: 'with modbus.devices, each device has its own unitId' },
      { path: 'modbus.devices.1.name', message: 'device name "a" is used twice' },
      { path: 'modbus.devices.2.profile', message: 'profile nmea-gps is not a Modbus device' },
    ]);
    expect(issues({ format: 'modbus', modbus: { devices: [{ name: 'a', unitId: 1 }] } })).toEqual([
      { path: 'modbus.devices', message: 'a device in modbus.devices has no register map' },
    ]);
    expect(
      issues({
        format: 'modbus',
        modbus: { devices: [{ name: 'a', unitId: 1, registers: [{ ...temp, name: 'device' }] }] },
      }),
    ).toEqual([
      {
        path: 'modbus.devices.0.registers',
        message: 'a register named "device" would hide the device name of the record',
      },
    ]);
  });
});
