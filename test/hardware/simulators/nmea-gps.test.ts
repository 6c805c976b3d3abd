// The simulated GPS: its GGA and RMC sentences carry valid checksums and decode, with Sluice's NMEA codec, back to
// the fix it made (position to the 4 decimals of minutes it prints), for any fix.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNmea, parseNmeaSentence } from '../../../hardware/codecs/nmea.js';
import { ggaLine, NmeaGps, rmcLine, type GpsFix } from '../../../hardware/simulators/nmea-gps.js';

/** 0.0001 minutes of arc, the resolution printed. */
const RESOLUTION = 0.0001 / 60;

const fixes = fc.record({
  timeMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2079, 11, 31) }).map((t) => t - (t % 10)),
  lat: fc.double({ min: -89.9999, max: 89.9999, noNaN: true }),
  lon: fc.double({ min: -179.9999, max: 179.9999, noNaN: true }),
  altitude: fc.integer({ min: -4000, max: 90_000 }).map((d) => d / 10),
  speedKnots: fc.integer({ min: 0, max: 9999 }).map((d) => d / 10),
  course: fc.integer({ min: 0, max: 3599 }).map((d) => d / 10),
  satellites: fc.integer({ min: 0, max: 32 }),
  hdop: fc.integer({ min: 5, max: 999 }).map((d) => d / 10),
}) satisfies fc.Arbitrary<GpsFix>;

describe('NMEA GPS simulator', () => {
  it('GGA and RMC decode back to the fix', () => {
    fc.assert(
      fc.property(fixes, (fix) => {
        const gga = decodeNmea(ggaLine(fix));
        const rmc = decodeNmea(rmcLine(fix));
        if (!gga.ok || !rmc.ok) throw new Error(`${ggaLine(fix)} / ${rmcLine(fix)} did not decode`);
        for (const fields of [gga.fields, rmc.fields]) {
          expect(Math.abs((fields.lat as number) - fix.lat)).toBeLessThanOrEqual(RESOLUTION);
          expect(Math.abs((fields.lon as number) - fix.lon)).toBeLessThanOrEqual(RESOLUTION);
        }
        expect(gga.fields).toMatchObject({
          sentence: 'GGA',
          fix: 'gps',
          satellites: fix.satellites,
          hdop: fix.hdop,
          altitude: fix.altitude,
        });
        expect(rmc.fields).toMatchObject({
          sentence: 'RMC',
          valid: true,
          time: fix.timeMs,
          speedKnots: fix.speedKnots,
          course: fix.course,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('moves along its course each step, with checksummed CR LF lines', () => {
    const gps = new NmeaGps({ startMs: Date.UTC(2026, 10, 25, 12), course: 0, speedKnots: 3600 / 1852 });
    const first = gps.next();
    const second = gps.next();
    expect(second.fix.timeMs - first.fix.timeMs).toBe(1000);
    // 1 m/s due north: 1 m of latitude further, same longitude.
    expect((second.fix.lat - first.fix.lat) * 111_320).toBeCloseTo(1, 6);
    expect(second.fix.lon).toBe(first.fix.lon);
    for (const line of [...first.lines, ...second.lines]) {
      expect(line.endsWith('\r\n')).toBe(true);
      expect(parseNmeaSentence(line).ok).toBe(true);
    }
    expect(first.lines[0]).toMatch(/^\$GPGGA,120000\.00,/);
  });
});
