// Profile: an RS485 Modbus RTU temperature/humidity transmitter built around a Sensirion SHT20/SHT3x sensor, as
// sold under many names (XY-MD02 and its clones are the most common).
//
// Register map, from the XY-MD02 manual's Modbus table (function 0x04, read input registers):
//   input 0x0001  temperature  int16, × 0.1 °C (signed: −40.0 °C reads 0xFE70)
//   input 0x0002  humidity     uint16, × 0.1 %RH
// Settings (holding registers 0x0101 address, 0x0102 baud rate, 0x0103/0x0104 calibration offsets) are not read.
// Factory defaults: address 1, 9600 baud, 8N1.
//
// Caution: not every "SHT30 RS485" board uses this map. Some answer function 0x03 with humidity at holding 0x0000
// and temperature at 0x0001. If reads fail with "illegal data address" or give odd values, check the table in the
// device's own manual and write the registers out in the receiver's config instead of using this profile.
import type { ProfileInput } from './schema.js';

export const sht3xModbus = {
  id: 'sht3x-modbus',
  name: 'SHT20/SHT3x RS485 temperature/humidity transmitter (XY-MD02 map)',
  description: 'Temperature (°C) and relative humidity (%RH) over Modbus RTU, input registers 1 and 2.',
  sources: ['XY-MD02 temperature and humidity transmitter manual: Modbus register table (function 0x04)'],
  serial: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  framing: { type: 'inter-byte-timeout', gapMs: 50 },
  format: 'modbus',
  modbus: {
    unitId: 1,
    pollInterval: '10s',
    timeout: '1s',
    registers: [
      {
        name: 'temperature',
        table: 'input',
        address: 0x0001,
        type: 'int16',
        scale: 0.1,
        unit: '°C',
        description: 'Air temperature',
      },
      {
        name: 'humidity',
        table: 'input',
        address: 0x0002,
        type: 'uint16',
        scale: 0.1,
        unit: '%RH',
        description: 'Relative humidity',
      },
    ],
  },
} as const satisfies ProfileInput;
