// Profile: a GPS/GNSS receiver that speaks NMEA 0183 over a UART or USB (u-blox NEO-6M/7M/M8N modules, most
// USB "GPS pucks"). Each line is one sentence: GGA and RMC become positions and times, other sentences generic.
//
// Settings: 9600 baud 8N1 is the factory default of u-blox modules (u-blox receiver description, "UART default
// configuration"). NMEA 0183 itself specifies 4800 baud, and older SiRF-based receivers use it: override baudRate
// then. Sentences end with CR LF and are at most 82 characters; proprietary ones can be longer, hence 256.
import type { ProfileInput } from './schema.js';

export const nmeaGps = {
  id: 'nmea-gps',
  name: 'NMEA 0183 GPS/GNSS receiver',
  description:
    'Positions, fix quality and UTC time from NMEA sentences (GGA, RMC; others as generic fields).',
  sources: [
    'NMEA 0183 standard (sentence formats GGA, RMC)',
    'u-blox receiver description: default UART settings',
  ],
  serial: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  framing: { type: 'line', eol: 'lf', maxLength: 256 },
  format: 'nmea',
} as const satisfies ProfileInput;
