import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNmea, nmeaDecoder, parseNmeaSentence } from '../../../hardware/codecs/nmea.js';

/** The checksum computed here, independently: XOR of the bytes between $ and *. */
function withChecksum(body: string): string {
  let x = 0;
  for (const c of Buffer.from(body, 'latin1')) x ^= c;
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}`;
}

describe('decodeNmea', () => {
  // Sentences with their published checksums (gpsd's NMEA reference and receiver manuals).
  it('decodes GGA into decimal degrees, fix quality, satellites, HDOP and altitude', () => {
    expect(decodeNmea('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47')).toEqual({
      ok: true,
      fields: {
        talker: 'GP',
        sentence: 'GGA',
        utcTime: '12:35:19',
        lat: 48 + 7.038 / 60,
        lon: 11 + 31 / 60,
        fixQuality: 1,
        fix: 'gps',
        satellites: 8,
        hdop: 0.9,
        altitude: 545.4,
        geoidSeparation: 46.9,
      },
    });
    const south = decodeNmea(
      withChecksum('GNGGA,092725.50,3352.1280,S,15112.6230,W,4,12,0.6,21.0,M,,M,1.0,0000'),
    );
    expect(south).toMatchObject({
      ok: true,
      fields: { talker: 'GN', utcTime: '09:27:25.500', fix: 'rtk', dgpsAge: 1 },
    });
    expect(south.ok && south.fields.lat).toBeCloseTo(-(33 + 52.128 / 60), 9);
    expect(south.ok && south.fields.lon).toBeCloseTo(-(151 + 12.623 / 60), 9);
  });

  it('decodes a GGA without a fix, leaving out the empty fields', () => {
    expect(decodeNmea('$GPGGA,,,,,,0,00,99.99,,,,,,*48')).toEqual({
      ok: true,
      fields: { talker: 'GP', sentence: 'GGA', fixQuality: 0, fix: 'invalid', satellites: 0, hdop: 99.99 },
    });
  });

  it('decodes RMC into epoch ms, status, position, speed and course', () => {
    expect(decodeNmea('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n')).toEqual({
      ok: true,
      fields: {
        talker: 'GP',
        sentence: 'RMC',
        time: Date.UTC(1994, 2, 23, 12, 35, 19),
        date: '1994-03-23',
        utcTime: '12:35:19',
        status: 'A',
        valid: true,
        lat: 48 + 7.038 / 60,
        lon: 11 + 31 / 60,
        speedKnots: 22.4,
        course: 84.4,
        magneticVariation: -3.1,
      },
    });
    const modern = decodeNmea(withChecksum('GNRMC,083559.25,V,,,,,,,091224,,,N'));
    expect(modern).toEqual({
      ok: true,
      fields: {
        talker: 'GN',
        sentence: 'RMC',
        time: Date.UTC(2024, 11, 9, 8, 35, 59, 250),
        date: '2024-12-09',
        utcTime: '08:35:59.250',
        status: 'V',
        valid: false,
        mode: 'N',
      },
    });
  });

  it('decodes any other sentence into talker, sentence and fields', () => {
    expect(decodeNmea('$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39')).toEqual({
      ok: true,
      fields: {
        talker: 'GP',
        sentence: 'GSA',
        fields: ['A', '3', '04', '05', '', '09', '12', '', '', '24', '', '', '', '', '2.5', '1.3', '2.1'],
      },
    });
    expect(decodeNmea('$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48')).toMatchObject({
      ok: true,
      fields: { sentence: 'VTG' },
    });
    expect(decodeNmea(withChecksum('PUBX,00,081350.00'))).toEqual({
      ok: true,
      fields: { talker: 'P', sentence: 'UBX', fields: ['00', '081350.00'] },
    });
  });

  it.each<[string, string, RegExp]>([
    [
      'a bad checksum',
      '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48',
      /checksum mismatch: sentence says 48, computed 47/,
    ],
    [
      'a corrupted digit',
      '$GPGGA,123519,4807.038,N,01131.000,E,1,09,0.9,545.4,M,46.9,M,,*47',
      /checksum mismatch/,
    ],
    ['no checksum', '$GPGLL,4916.45,N,12311.12,W,225444,A,', /without checksum/],
    ['a malformed checksum', '$GPGLL,4916.45,N*1', /malformed NMEA checksum/],
    ['no leading $', 'GPGGA,123519*47', /no leading \$ or !/],
    ['garbage before the $', '\u0000x$GPGGA,*56', /no leading/],
    ['a short address', withChecksum('GP,1,2'), /malformed NMEA address/],
    [
      'a latitude without hemisphere',
      withChecksum('GPGGA,123519,4807.038,,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'),
      /bad latitude/,
    ],
    [
      'minutes past 60',
      withChecksum('GPGGA,123519,4867.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'),
      /lat out of range/,
    ],
    ['a bad time', withChecksum('GPRMC,256000,A,4807.038,N,01131.000,E,0,0,230394,,'), /bad UTC time/],
    ['a bad date', withChecksum('GPRMC,123519,A,4807.038,N,01131.000,E,0,0,321394,,'), /bad RMC date/],
    ['a bad status', withChecksum('GPRMC,123519,X,4807.038,N,01131.000,E,0,0,230394,,'), /bad RMC status/],
    ['a GGA without fix quality', withChecksum('GPGGA,123519,,,,,,08'), /without fix quality/],
  ])('dead-letters %s', (_name, sentence, reason) => {
    const result = decodeNmea(sentence);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('accepts a sentence without checksum when asked to', () => {
    expect(
      parseNmeaSentence('$GPGLL,4916.45,N,12311.12,W,225444,A,', { requireChecksum: false }),
    ).toMatchObject({
      ok: true,
      sentence: { talker: 'GP', sentence: 'GLL' },
    });
  });

  it('never throws on arbitrary bytes, nor on arbitrary sentences with a valid checksum', () => {
    const decode = nmeaDecoder();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(typeof decode(Buffer.from(bytes)).ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('GPGGA', 'GNRMC', 'GPGSV'),
        fc.array(fc.string({ unit: fc.constantFrom(...'0123456789.NSEWAV-'.split('')), maxLength: 12 }), {
          maxLength: 14,
        }),
        (address, fields) => {
          expect(typeof decodeNmea(withChecksum([address, ...fields].join(','))).ok).toBe('boolean');
        },
      ),
    );
  });
});
