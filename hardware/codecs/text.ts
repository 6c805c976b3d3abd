// Text helpers every payload codec shares: strict UTF-8, numbers written as numbers, a printable preview of bad
// input for dead-letter reasons, and the result type of a decode.

export type DecodeResult =
  | { readonly ok: true; readonly fields: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as strict UTF-8 text, or undefined when it is not valid UTF-8. */
export function utf8Text(payload: Uint8Array): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

export const NOT_UTF8 = 'payload is not valid UTF-8';

/** Decodes the payload as strict UTF-8 and hands the text on; invalid UTF-8 is a reason, not an exception. */
export function withText(payload: Buffer, decode: (text: string) => DecodeResult): DecodeResult {
  const text = utf8Text(payload);
  return text === undefined ? { ok: false, reason: NOT_UTF8 } : decode(text);
}

/** A finite number written as a number ("21.5", "-3", "1e3"); undefined otherwise (including ""). */
export function parseNumber(text: string): number | undefined {
  if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Powers of ten a double holds exactly: a decimal of at most 15 digits scaled by one of them is exact to one
 * rounding, so the division (or product) is the correctly rounded value, the same as Number(text). */
const EXACT_POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const UPPER_E = 0x45;
const LOWER_E = 0x65;

/**
 * parseNumber for the ASCII bytes[start, end) without making a string: the same numbers (property-tested against
 * parseNumber), for codecs that read frames as bytes. Short decimals are computed directly; the rest go through
 * Number() on the text.
 */
export function parseNumberBytes(bytes: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let negative = false;
  let c = bytes[i];
  if (c === PLUS || c === MINUS) {
    negative = c === MINUS;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  for (c = bytes[i]; i < end && c !== undefined && c >= ZERO && c <= NINE; c = bytes[++i]) {
    mantissa = mantissa * 10 + (c - ZERO);
    digits++;
  }
  if (i < end && c === DOT) {
    for (c = bytes[++i]; i < end && c !== undefined && c >= ZERO && c <= NINE; c = bytes[++i]) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      fraction++;
    }
  }
  if (digits === 0) return undefined;
  let exponent = 0;
  if (i < end && (c === LOWER_E || c === UPPER_E)) {
    c = bytes[++i];
    let expNegative = false;
    if (i < end && (c === PLUS || c === MINUS)) {
      expNegative = c === MINUS;
      c = bytes[++i];
    }
    let expDigits = 0;
    for (; i < end && c !== undefined && c >= ZERO && c <= NINE; c = bytes[++i]) {
      if (exponent < 1e6) exponent = exponent * 10 + (c - ZERO);
      expDigits++;
    }
    if (expDigits === 0) return undefined;
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) return undefined;
  const scale = exponent - fraction;
  if (digits <= 15 && scale >= -22 && scale <= 22) {
    const value =
      scale >= 0 ? mantissa * (EXACT_POW10[scale] as number) : mantissa / (EXACT_POW10[-scale] as number);
    return negative ? -value : value;
  }
  let text = '';
  for (let j = start; j < end; j++) text += String.fromCharCode(bytes[j] as number);
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A short printable preview of bad input for a dead-letter reason. */
export function preview(text: string, max = 60): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}
