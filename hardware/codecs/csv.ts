// The one CSV parser: a line split into cells (RFC 4180 quoting), cells named by columns (numbers become
// numbers). decodeCsvLine serves one-message payloads (an MQTT message, payload.ts); csvDecoder serves streams,
// with fixed column names or with the device's own header line (stateful: the first line names the columns).
import type { StreamDecoder } from './stream-decoder.js';
import { NOT_UTF8, parseNumber, parseNumberBytes, preview, utf8Text, type DecodeResult } from './text.js';

export interface CsvDecoderOptions {
  /** Column names, in order. Default: none (then header must be true). */
  columns?: readonly string[];
  /**
   * The first line of the stream is a header. Without columns it names the columns; with columns it is skipped.
   * A later line equal to the header (a device that reprints it after a reboot) is skipped too. Default: false.
   */
  header?: boolean;
  /** Cell separator, one character. Default: `,`. */
  separator?: string;
}

/** Splits one CSV line (RFC 4180 quoting) into cells; a reason when a quote is left open. */
export function splitCsvLine(line: string, separator = ','): string[] | { reason: string } {
  const text = line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line;
  // Most device lines quote nothing: split them natively.
  if (!text.includes('"')) return text.split(separator);
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (c === separator) {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  if (quoted) return { reason: `unterminated quote in CSV line: ${preview(line)}` };
  cells.push(cell);
  return cells;
}

/** Sets a field; a column named __proto__ is a field like any other, not the object's prototype. */
function setField(fields: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__')
    Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  else fields[name] = value;
}

/** Names a line's cells by the columns; numeric cells become numbers. `line` is for the reason only. */
function namedCells(cells: readonly string[], columns: readonly string[], line: string): DecodeResult {
  if (cells.length !== columns.length) {
    return {
      ok: false,
      reason: `CSV line has ${cells.length} cells, expected ${columns.length}: ${preview(line)}`,
    };
  }
  const fields: Record<string, unknown> = {};
  for (let j = 0; j < columns.length; j++) {
    const raw = (cells[j] as string).trim();
    setField(fields, columns[j] as string, parseNumber(raw) ?? raw);
  }
  return { ok: true, fields };
}

const SPACE = 0x20;
const QUOTE = 0x22;
const TILDE = 0x7e;

/** Cell boundaries of the line being read by csvFieldsFast (one line at a time: decoding is synchronous). */
let cellEnds = new Int32Array(16);

/**
 * The common line read straight from its bytes, with no text decoding, splitting or regular expression: printable
 * ASCII only (no control bytes, so no line end or BOM), no quotes, at least one non-space byte, as many cells as
 * columns. Gives the same fields as the text path; undefined for any other line, which the text path then decodes
 * (and words the error for). `separator` is a character code.
 */
function csvFieldsFast(
  payload: Buffer,
  columns: readonly string[],
  separator: number,
): Record<string, unknown> | undefined {
  const n = payload.length;
  const want = columns.length;
  if (cellEnds.length < want) cellEnds = new Int32Array(want);
  let cells = 0;
  let blank = true;
  for (let i = 0; i < n; i++) {
    const b = payload[i] as number;
    if (b === separator) {
      if (cells === want) return undefined;
      cellEnds[cells++] = i;
    } else if (b < SPACE || b > TILDE || b === QUOTE) return undefined;
    else if (b !== SPACE) blank = false;
  }
  if (blank || cells !== want - 1) return undefined;
  cellEnds[cells] = n;
  const fields: Record<string, unknown> = {};
  let start = 0;
  for (let j = 0; j < want; j++) {
    let end = cellEnds[j] as number;
    const next = end + 1;
    while (start < end && payload[start] === SPACE) start++;
    while (end > start && payload[end - 1] === SPACE) end--;
    setField(
      fields,
      columns[j] as string,
      parseNumberBytes(payload, start, end) ?? cellText(payload, start, end),
    );
    start = next;
  }
  return fields;
}

/** Recently read short text cells, by a hash of their bytes: a device repeats its names and states on every
 * line, and one shared string per value is less for the records to keep until their batch than a copy each. */
const recentCells: (string | undefined)[] = Array.from({ length: 256 }, () => undefined);
const SHORT_CELL = 24;

/** ASCII bytes[start, end) as a string: the string read last time for the same bytes, when there was one. */
function cellText(bytes: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n > SHORT_CELL) return bytes.toString('latin1', start, end);
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + (bytes[i] as number)) | 0;
  const slot = (h ^ (h >>> 8)) & 255;
  const hit = recentCells[slot];
  if (hit?.length === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = hit.charCodeAt(i) === bytes[start + i];
    if (same) return hit;
  }
  const text = bytes.toString('latin1', start, end);
  recentCells[slot] = text;
  return text;
}

const COMMA = 0x2c;

/** One CSV line (one message) into named fields. */
export function decodeCsvLine(line: string, columns: readonly string[]): DecodeResult {
  const cells = splitCsvLine(line);
  return Array.isArray(cells) ? namedCells(cells, columns, line) : { ok: false, reason: cells.reason };
}

/** decodeCsvLine for a payload as it arrived (bytes): the common line without making its text first. */
export function decodeCsvPayload(payload: Buffer, columns: readonly string[]): DecodeResult {
  const fields = csvFieldsFast(payload, columns, COMMA);
  if (fields !== undefined) return { ok: true, fields };
  const text = utf8Text(payload);
  return text === undefined ? { ok: false, reason: NOT_UTF8 } : decodeCsvLine(text, columns);
}

/** A CSV decoder for one stream (one receiver, one port). */
export function csvDecoder(options: CsvDecoderOptions): StreamDecoder {
  const separator = options.separator ?? ',';
  if (separator.length !== 1 || separator === '"')
    throw new RangeError('separator must be one character, not "');
  const headerMode = options.header ?? false;
  if (!headerMode && (options.columns === undefined || options.columns.length === 0)) {
    throw new RangeError('csv needs columns, or header: true');
  }
  let columns: readonly string[] | undefined = options.columns;
  let header: string | undefined; // the header line as received, once seen

  const decodeLine = (text: string): DecodeResult | null => {
    const line = text.replace(/^\uFEFF/, '').replace(/\r?\n$/, '');
    if (line.trim() === '') return { ok: false, reason: 'empty line' };
    const cells = splitCsvLine(line, separator);
    if (!Array.isArray(cells)) return { ok: false, reason: cells.reason };
    if (headerMode && header === undefined) {
      const names = cells.map((c) => c.trim());
      const bad = names.findIndex((n, i) => n === '' || names.indexOf(n) !== i);
      if (bad !== -1) {
        const problem =
          names[bad] === '' ? `column ${bad + 1} has no name` : `column "${names[bad]}" appears twice`;
        return { ok: false, reason: `CSV header ${problem}: ${preview(line)}` };
      }
      header = line;
      columns ??= names;
      return null;
    }
    if (line === header) return null;
    return namedCells(cells, columns ?? [], line);
  };

  const separatorCode = separator.charCodeAt(0);
  let headerBytes: Buffer | undefined; // the header line's bytes, for the byte path's comparison

  return {
    decode: (payload) => {
      // The byte path once the columns are known; a line equal to the header is the text path's (it skips it).
      const named = columns;
      const byteReady =
        !headerMode || (header !== undefined && !payload.equals((headerBytes ??= Buffer.from(header))));
      if (named !== undefined && byteReady) {
        const fields = csvFieldsFast(payload, named, separatorCode);
        if (fields !== undefined) return { ok: true, fields };
      }
      const text = utf8Text(payload);
      return text === undefined ? { ok: false, reason: NOT_UTF8 } : decodeLine(text);
    },
    reset: () => {
      header = undefined;
      headerBytes = undefined;
      columns = options.columns;
    },
  };
}
