// Payload decoders shared by every receiver: one message (an MQTT payload, one framed serial line) into the
// record's fields, or a reason it cannot be decoded (the caller dead-letters it).

export type PayloadFormat = 'json' | 'csv' | 'text' | 'number';

export type DecodeResult =
  | { readonly ok: true; readonly fields: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

export interface PayloadDecoderOptions {
  format: PayloadFormat;
  /** CSV column names, in order (required for csv). */
  columns?: readonly string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Builds a decoder for one receiver's format. */
export function payloadDecoder(options: PayloadDecoderOptions): (payload: Buffer) => DecodeResult {
  switch (options.format) {
    case 'json':
      return (payload) => withText(payload, decodeJson);
    case 'text':
      return (payload) => withText(payload, (text) => ({ ok: true, fields: { value: text } }));
    case 'number':
      return (payload) =>
        withText(payload, (text) => {
          const value = parseNumber(text.trim());
          return value === undefined
            ? { ok: false, reason: `not a number: ${preview(text)}` }
            : { ok: true, fields: { value } };
        });
    case 'csv': {
      const columns = options.columns ?? [];
      return (payload) => withText(payload, (text) => decodeCsvLine(text, columns));
    }
  }
}

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

function decodeJson(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      reason: `JSON payload must be an object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    };
  }
  return { ok: true, fields: value as Record<string, unknown> };
}

/** One CSV line (RFC 4180 quoting) into named fields; numeric cells become numbers. */
export function decodeCsvLine(line: string, columns: readonly string[]): DecodeResult {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const text = line.replace(/\r?\n$/, '');
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
    i++;
  }
  if (quoted) return { ok: false, reason: `unterminated quote in CSV line: ${preview(line)}` };
  cells.push(cell);
  if (cells.length !== columns.length) {
    return {
      ok: false,
      reason: `CSV line has ${cells.length} cells, expected ${columns.length}: ${preview(line)}`,
    };
  }
  const fields: Record<string, unknown> = {};
  columns.forEach((name, j) => {
    const raw = (cells[j] as string).trim();
    fields[name] = parseNumber(raw) ?? raw;
  });
  return { ok: true, fields };
}

/** A finite number written as a number ("21.5", "-3", "1e3"); undefined otherwise (including ""). */
export function parseNumber(text: string): number | undefined {
  if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A short printable preview of bad input for a dead-letter reason. */
export function preview(text: string, max = 60): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}
