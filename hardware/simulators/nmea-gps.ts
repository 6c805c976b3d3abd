// A simulated NMEA 0183 GPS receiver for tests, the demo and the benchmark: a fix moving at a steady speed and
// course, printed each second as GGA and RMC sentences with valid checksums (what a u-blox module sends at
// 9600 baud, minus the satellite chatter). Deterministic for a start position and time.
import { nmeaChecksum } from '../codecs/nmea.js';

export interface GpsFix {
  /** UTC time of the fix, epoch ms (whole centiseconds are printed). */
  timeMs: number;
  /** Decimal degrees, south and west negative. */
  lat: number;
  lon: number;
  /** Metres above mean sea level. */
  altitude: number;
  speedKnots: number;
  /** Degrees true, 0–360. */
  course: number;
  satellites: number;
  hdop: number;
}

export interface NmeaGpsOptions {
  /** Where the track starts. Default: 48.1173, 11.5167 (the NMEA examples' Munich), 545.4 m. */
  lat?: number;
  lon?: number;
  altitude?: number;
  /** Default: 5 knots on course 45°. */
  speedKnots?: number;
  course?: number;
  /** Time of the first fix, epoch ms. Default: the time of construction. */
  startMs?: number;
  /** Time between fixes, ms. Default: 1000. */
  stepMs?: number;
  /** Talker id: GP (GPS) or GN (multi-GNSS). Default: GP. */
  talker?: 'GP' | 'GN';
}

/** A sentence body (between `$` and `*`) with its checksum and CR LF. */
export function nmeaLine(body: string): string {
  return `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** `ddmm.mmmm,N` / `dddmm.mmmm,E`. */
function coordinate(value: number, axis: 'lat' | 'lon'): string {
  const abs = Math.abs(value);
  let degrees = Math.floor(abs);
  let minutes = Number(((abs - degrees) * 60).toFixed(4));
  if (minutes >= 60) {
    degrees += 1;
    minutes = 0;
  }
  const [whole, frac = '0000'] = minutes.toFixed(4).split('.');
  const hemisphere = axis === 'lat' ? (value < 0 ? 'S' : 'N') : value < 0 ? 'W' : 'E';
  return `${pad(degrees, axis === 'lat' ? 2 : 3)}${pad(Number(whole), 2)}.${frac},${hemisphere}`;
}

function hhmmss(ms: number): string {
  const d = new Date(ms);
  const cs = Math.floor(d.getUTCMilliseconds() / 10);
  return `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(cs, 2)}`;
}

function ddmmyy(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
}

/** GGA (fix data) for a fix, as a line with checksum. */
export function ggaLine(fix: GpsFix, talker = 'GP'): string {
  const body = [
    `${talker}GGA`,
    hhmmss(fix.timeMs),
    coordinate(fix.lat, 'lat'),
    coordinate(fix.lon, 'lon'),
    '1',
    pad(fix.satellites, 2),
    fix.hdop.toFixed(1),
    fix.altitude.toFixed(1),
    'M',
    '46.9',
    'M',
    '',
    '',
  ].join(',');
  return nmeaLine(body);
}

/** RMC (recommended minimum) for a fix, as a line with checksum. */
export function rmcLine(fix: GpsFix, talker = 'GP'): string {
  const body = [
    `${talker}RMC`,
    hhmmss(fix.timeMs),
    'A',
    coordinate(fix.lat, 'lat'),
    coordinate(fix.lon, 'lon'),
    fix.speedKnots.toFixed(1),
    fix.course.toFixed(1),
    ddmmyy(fix.timeMs),
    '',
    '',
    'A',
  ].join(',');
  return nmeaLine(body);
}

const METRES_PER_DEGREE = 111_320;
const METRES_PER_KNOT_SECOND = 1852 / 3600;

export class NmeaGps {
  readonly talker: 'GP' | 'GN';
  #fix: GpsFix;
  readonly #stepMs: number;

  constructor(options: NmeaGpsOptions = {}) {
    this.talker = options.talker ?? 'GP';
    this.#stepMs = options.stepMs ?? 1000;
    this.#fix = {
      timeMs: options.startMs ?? Date.now(),
      lat: options.lat ?? 48.1173,
      lon: options.lon ?? 11.516_667,
      altitude: options.altitude ?? 545.4,
      speedKnots: options.speedKnots ?? 5,
      course: options.course ?? 45,
      satellites: 8,
      hdop: 0.9,
    };
  }

  /** The next fix and its GGA and RMC lines; the first call gives the start position. */
  next(): { fix: GpsFix; lines: [string, string] } {
    const fix = this.#fix;
    const metres = fix.speedKnots * METRES_PER_KNOT_SECOND * (this.#stepMs / 1000);
    const rad = (fix.course * Math.PI) / 180;
    const lat = fix.lat + (metres * Math.cos(rad)) / METRES_PER_DEGREE;
    const lon =
      fix.lon + (metres * Math.sin(rad)) / (METRES_PER_DEGREE * Math.cos((fix.lat * Math.PI) / 180));
    this.#fix = { ...fix, timeMs: fix.timeMs + this.#stepMs, lat, lon };
    return { fix, lines: [ggaLine(fix, this.talker), rmcLine(fix, this.talker)] };
  }
}
