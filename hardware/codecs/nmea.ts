// NMEA 0183 sentences from GPS/GNSS receivers (and anything else that talks NMEA): the checksum is verified, so a
// corrupted sentence is a dead letter, not a wrong position. GGA and RMC become named fields (decimal degrees,
// epoch ms); any other sentence becomes { talker, sentence, fields[] }.
import { NOT_UTF8, preview, utf8Text, type DecodeResult } from './text.js';

export interface NmeaSentence {
  /** Talker id: `GP` (GPS), `GN` (multi-GNSS), `GL`, `GA`, `BD`, …; `P` for a proprietary sentence. */
  talker: string;
  /** Sentence formatter: `GGA`, `RMC`, …; for a proprietary sentence the rest of the address (`UBX`, `MTK314`). */
  sentence: string;
  /** The comma-separated data fields after the address, as text. */
  fields: string[];
}

export interface NmeaOptions {
  /** Reject a sentence that carries no `*hh` checksum. Default: true. */
  requireChecksum?: boolean;
}

export type NmeaParse = { ok: true; sentence: NmeaSentence } | { ok: false; reason: string };

/** XOR of the characters between `$` and `*`. */
export function nmeaChecksum(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return sum & 0xff;
}

/** Checks the framing and the checksum of one sentence and splits it into its address and fields. */
export function parseNmeaSentence(line: string, options: NmeaOptions = {}): NmeaParse {
  const text = line.trim();
  if (text[0] !== '$' && text[0] !== '!') {
    return { ok: false, reason: `not an NMEA sentence (no leading $ or !): ${preview(text)}` };
  }
  if (!/^[\x20-\x7e]*$/.test(text))
    return { ok: false, reason: `non-printable bytes in NMEA sentence: ${preview(text)}` };
  const star = text.lastIndexOf('*');
  let body: string;
  if (star === -1) {
    if (options.requireChecksum ?? true)
      return { ok: false, reason: `NMEA sentence without checksum: ${preview(text)}` };
    body = text.slice(1);
  } else {
    body = text.slice(1, star);
    const given = text.slice(star + 1);
    if (!/^[0-9A-Fa-f]{2}$/.test(given))
      return { ok: false, reason: `malformed NMEA checksum "${given}": ${preview(text)}` };
    const computed = nmeaChecksum(body);
    if (parseInt(given, 16) !== computed) {
      const hex = computed.toString(16).toUpperCase().padStart(2, '0');
      return {
        ok: false,
        reason: `NMEA checksum mismatch: sentence says ${given}, computed ${hex}: ${preview(text)}`,
      };
    }
  }
  const [address = '', ...fields] = body.split(',');
  if (!/^[A-Z0-9]{2,}$/.test(address))
    return { ok: false, reason: `malformed NMEA address "${address}": ${preview(text)}` };
  const proprietary = address.startsWith('P');
  if (!proprietary && address.length < 5)
    return { ok: false, reason: `malformed NMEA address "${address}": ${preview(text)}` };
  return {
    ok: true,
    sentence: {
      talker: proprietary ? 'P' : address.slice(0, 2),
      sentence: proprietary ? address.slice(1) : address.slice(2),
      fields,
    },
  };
}

type Fields = Record<string, unknown>;
class FieldError extends Error {}

/** `ddmm.mmmm` / `dddmm.mmmm` with its hemisphere into signed decimal degrees; undefined when both are empty. */
function coordinate(value: string, hemisphere: string, axis: 'lat' | 'lon'): number | undefined {
  if (value === '' && hemisphere === '') return undefined;
  const degreeDigits = axis === 'lat' ? 2 : 3;
  const m = new RegExp(`^(\\d{${degreeDigits}})(\\d{2}(?:\\.\\d+)?)$`).exec(value);
  const positive = axis === 'lat' ? 'N' : 'E';
  const negative = axis === 'lat' ? 'S' : 'W';
  if (m === null || (hemisphere !== positive && hemisphere !== negative)) {
    throw new FieldError(`bad ${axis === 'lat' ? 'latitude' : 'longitude'} "${value},${hemisphere}"`);
  }
  const degrees = Number(m[1]);
  const minutes = Number(m[2]);
  if (minutes >= 60 || degrees > (axis === 'lat' ? 90 : 180))
    throw new FieldError(`${axis} out of range "${value}"`);
  const result = degrees + minutes / 60;
  return hemisphere === negative ? -result : result;
}

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value)) throw new FieldError(`bad ${name} "${value}"`);
  return Number(value);
}

/** `hhmmss[.sss]` into [hours, minutes, seconds, ms]. */
function timeOfDay(value: string): [number, number, number, number] | undefined {
  if (value === '') return undefined;
  const m = /^(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3})\d*)?$/.exec(value);
  if (m === null) throw new FieldError(`bad UTC time "${value}"`);
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59 || s > 60) throw new FieldError(`bad UTC time "${value}"`);
  return [h, min, s, Number((m[4] ?? '').padEnd(3, '0'))];
}

const FIX_QUALITY: Record<number, string> = {
  0: 'invalid',
  1: 'gps',
  2: 'dgps',
  3: 'pps',
  4: 'rtk',
  5: 'rtk-float',
  6: 'estimated',
  7: 'manual',
  8: 'simulation',
};

function put(fields: Fields, name: string, value: unknown): void {
  if (value !== undefined) fields[name] = value;
}

function formatTime(t: [number, number, number, number]): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(t[0])}:${pad(t[1])}:${pad(t[2])}${t[3] === 0 ? '' : `.${String(t[3]).padStart(3, '0')}`}`;
}

/** GGA: fix data. Fields left empty by the receiver (no fix yet) are left out. */
function gga(f: string[], out: Fields): void {
  const time = timeOfDay(f[0] ?? '');
  put(out, 'utcTime', time && formatTime(time));
  put(out, 'lat', coordinate(f[1] ?? '', f[2] ?? '', 'lat'));
  put(out, 'lon', coordinate(f[3] ?? '', f[4] ?? '', 'lon'));
  const quality = num(f[5], 'fix quality');
  if (quality === undefined || !Number.isInteger(quality)) throw new FieldError('GGA without fix quality');
  out.fixQuality = quality;
  out.fix = FIX_QUALITY[quality] ?? 'unknown';
  put(out, 'satellites', num(f[6], 'satellite count'));
  put(out, 'hdop', num(f[7], 'HDOP'));
  put(out, 'altitude', num(f[8], 'altitude'));
  put(out, 'geoidSeparation', num(f[10], 'geoid separation'));
  put(out, 'dgpsAge', num(f[12], 'DGPS age'));
}

/** RMC: recommended minimum data. `time` is epoch ms when both the date and the time are present. */
function rmc(f: string[], out: Fields): void {
  const time = timeOfDay(f[0] ?? '');
  const status = f[1] ?? '';
  if (status !== 'A' && status !== 'V') throw new FieldError(`bad RMC status "${status}"`);
  const date = f[8] ?? '';
  if (date !== '') {
    const m = /^(\d{2})(\d{2})(\d{2})$/.exec(date);
    if (m === null) throw new FieldError(`bad RMC date "${date}"`);
    const [day, month, yy] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (day < 1 || day > 31 || month < 1 || month > 12) throw new FieldError(`bad RMC date "${date}"`);
    // Two-digit years: NMEA 0183 predates 2000; receivers in service today report 20yy.
    const year = yy < 80 ? 2000 + yy : 1900 + yy;
    if (time !== undefined) out.time = Date.UTC(year, month - 1, day, time[0], time[1], time[2], time[3]);
    out.date = `${year}-${m[2]}-${m[1]}`;
  }
  put(out, 'utcTime', time && formatTime(time));
  out.status = status;
  out.valid = status === 'A';
  put(out, 'lat', coordinate(f[2] ?? '', f[3] ?? '', 'lat'));
  put(out, 'lon', coordinate(f[4] ?? '', f[5] ?? '', 'lon'));
  put(out, 'speedKnots', num(f[6], 'speed'));
  put(out, 'course', num(f[7], 'course'));
  const variation = num(f[9], 'magnetic variation');
  if (variation !== undefined) out.magneticVariation = f[10] === 'W' ? -variation : variation;
  if (f[11] !== undefined && f[11] !== '') out.mode = f[11];
}

const DECODERS: Record<string, (fields: string[], out: Fields) => void> = { GGA: gga, RMC: rmc };

/** One sentence into fields: GGA and RMC by name, any other as { talker, sentence, fields }. */
export function decodeNmea(line: string, options: NmeaOptions = {}): DecodeResult {
  const parsed = parseNmeaSentence(line, options);
  if (!parsed.ok) return parsed;
  const { talker, sentence, fields } = parsed.sentence;
  const decode = talker === 'P' ? undefined : DECODERS[sentence];
  if (decode === undefined) return { ok: true, fields: { talker, sentence, fields } };
  const out: Fields = { talker, sentence };
  try {
    decode(fields, out);
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    return { ok: false, reason: `${talker}${sentence}: ${err.message}: ${preview(line.trim())}` };
  }
  return { ok: true, fields: out };
}

/** The payload decoder for `format: nmea` (one framed line per payload). */
export function nmeaDecoder(options: NmeaOptions = {}): (payload: Buffer) => DecodeResult {
  return (payload) => {
    const text = utf8Text(payload);
    return text === undefined ? { ok: false, reason: NOT_UTF8 } : decodeNmea(text, options);
  };
}
