// Profile: Eastron SDM120-Modbus single-phase energy meter (DIN rail, RS485). The SDM230-Modbus documents the same
// addresses for the values below; check its default baud rate (see below) before using this profile with one.
//
// Register map, from Eastron's "SDM120 Modbus Protocol" document, input registers (function 0x04). Every value
// is an IEEE 754 float32 in two registers, high word first (wordOrder big, byteOrder big). Manual numbering
// 30001 is protocol address 0x0000.
//   0x0000 (30001) voltage                 V
//   0x0006 (30007) current                 A
//   0x000C (30013) active power            W
//   0x0012 (30019) apparent power          VA
//   0x0018 (30025) reactive power          VAr
//   0x001E (30031) power factor            –
//   0x0046 (30071) frequency               Hz
//   0x0048 (30073) import active energy    kWh
//   0x004A (30075) export active energy    kWh
//   0x0156 (30343) total active energy     kWh
// The registers in between are not all defined, and Eastron meters may answer "illegal data address" to a read
// that spans undefined ones, so maxGap stays 0: eight short reads per poll (frequency and the two energy counters
// after it are adjacent and share one).
// Factory defaults of the SDM120: address 1, 2400 baud, 8N1. The SDM230's factory baud rate differs between
// documents we have seen (2400 or 9600): read it from the meter's setup menu, and override baudRate if needed.
import type { ProfileInput } from './schema.js';

const float = (name: string, address: number, unit: string, description: string) =>
  ({
    name,
    table: 'input',
    address,
    type: 'float32',
    wordOrder: 'big',
    byteOrder: 'big',
    unit,
    description,
  }) as const;

export const sdm120Modbus = {
  id: 'sdm120-modbus',
  name: 'Eastron SDM120-Modbus / SDM230-Modbus energy meter',
  description: 'Single-phase voltage, current, power, frequency and energy counters over Modbus RTU.',
  sources: ['Eastron SDM120 Modbus Protocol (input register table)', 'Eastron SDM230 Modbus Protocol'],
  serial: { baudRate: 2400, dataBits: 8, parity: 'none', stopBits: 1 },
  framing: { type: 'inter-byte-timeout', gapMs: 50 },
  format: 'modbus',
  modbus: {
    unitId: 1,
    pollInterval: '10s',
    timeout: '1s',
    maxGap: 0,
    registers: [
      float('voltage', 0x0000, 'V', 'Line to neutral voltage'),
      float('current', 0x0006, 'A', 'Current'),
      float('activePower', 0x000c, 'W', 'Active power'),
      float('apparentPower', 0x0012, 'VA', 'Apparent power'),
      float('reactivePower', 0x0018, 'VAr', 'Reactive power'),
      float('powerFactor', 0x001e, '', 'Power factor'),
      float('frequency', 0x0046, 'Hz', 'Supply frequency'),
      float('importActiveEnergy', 0x0048, 'kWh', 'Imported active energy'),
      float('exportActiveEnergy', 0x004a, 'kWh', 'Exported active energy'),
      float('totalActiveEnergy', 0x0156, 'kWh', 'Total active energy'),
    ],
  },
} as const satisfies ProfileInput;
