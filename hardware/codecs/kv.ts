// key=value lines, as many small sensors and logfmt print them: `temp=21.5 hum=40`, `temp=21.5,hum=40`,
// `room="living room" t=20`. Pairs are separated by spaces, tabs, commas or semicolons; values that read as
// numbers become numbers; double-quoted values may hold separators and `\"` / `\\` escapes.
import { parseNumber, preview, withText, type DecodeResult } from './text.js';

export interface KvOptions {
  /** Turn values that read as numbers into numbers. Default: true. */
  numbers?: boolean;
}

const isSeparator = (c: string | undefined) => c === ' ' || c === '\t' || c === ',' || c === ';';

/** One key=value line into fields. A repeated key keeps its last value. */
export function decodeKv(line: string, options: KvOptions = {}): DecodeResult {
  const numbers = options.numbers ?? true;
  const text = line.replace(/\r?\n$/, '');
  const entries: [string, unknown][] = [];
  let i = 0;
  for (;;) {
    while (isSeparator(text[i])) i++;
    if (i >= text.length) break;
    const keyStart = i;
    while (i < text.length && text[i] !== '=' && !isSeparator(text[i]) && text[i] !== '"') i++;
    const key = text.slice(keyStart, i);
    if (text[i] !== '=') {
      return {
        ok: false,
        reason: `expected key=value, found ${preview(text.slice(keyStart, i + 1))}: ${preview(text)}`,
      };
    }
    if (key === '') return { ok: false, reason: `empty key before "=" at column ${i + 1}: ${preview(text)}` };
    i++; // '='
    let value: unknown;
    if (text[i] === '"') {
      let raw = '';
      i++;
      for (;;) {
        const c = text[i];
        if (c === undefined)
          return { ok: false, reason: `unterminated quote in value of "${key}": ${preview(text)}` };
        if (c === '"') break;
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          raw += text[i + 1] as string;
          i += 2;
          continue;
        }
        raw += c;
        i++;
      }
      i++; // closing quote
      if (i < text.length && !isSeparator(text[i])) {
        return { ok: false, reason: `text after the closing quote of "${key}": ${preview(text)}` };
      }
      value = raw; // quoted values stay strings
    } else {
      const valueStart = i;
      while (i < text.length && !isSeparator(text[i])) i++;
      const raw = text.slice(valueStart, i);
      if (raw.includes('"') || raw.includes('=')) {
        return { ok: false, reason: `malformed value of "${key}" ${preview(raw)}: ${preview(text)}` };
      }
      value = numbers ? (parseNumber(raw) ?? raw) : raw;
    }
    entries.push([key, value]);
  }
  if (entries.length === 0) return { ok: false, reason: 'empty line: no key=value pairs' };
  // fromEntries defines own properties, so a key like "__proto__" is data, not a prototype change.
  return { ok: true, fields: Object.fromEntries(entries) };
}

/** The payload decoder for `format: kv`. */
export function kvDecoder(options: KvOptions = {}): (payload: Buffer) => DecodeResult {
  return (payload) => withText(payload, (text) => decodeKv(text, options));
}
