// How records sit in the write-ahead log: one entry per group commit, not one per record. The entry's key is the
// sequence number of its first record (store/keys.ts seqKey); its records have the consecutive numbers from there.
// One LevelDB operation per write instead of one per record is most of what a record costs to make durable (each
// operation is cloned, encoded, prefixed and copied into the native batch, and deleted again one by one).
//
// The entry is binary (format 3, below): the records are encoded into one Buffer as they are delivered, which the
// wal sublevel ('view' encoding) hands to LevelDB as it is. A record whose fields are its JSON payload parsed
// (format json or modbus) stores the payload's bytes, copied once: its fields are never serialised again, and
// replay parses the same text into the same fields. Other records store their fields in a small binary form.
// Receiver, topic, key and event time are stored as they were decoded, so a replay after a config change (another
// key expression, time field or format, a receiver removed) rebuilds exactly the records the batches had; only
// the engine's state reacts to such a change (driver.ts).
//
// A batch never splits a group: the driver cuts only whole writes (intake.ts). The older forms are still read:
// JSON groups (`{"v":2,...}`) and single JSON records under their own sequence numbers (before groups).
//
// Format 3, little-endian:
//   u8 0xb3 (never the '{' a JSON entry starts with), u32 record count, u32 offset of the string table
//   per record: u32 receiver, u32 topic, u32 key (string table indexes), f64 arrivalMs, f64 eventMs, u8 fields kind
//     kind 0 (JSON): u32 length, that many bytes of a JSON object's text
//     kind 1 (binary): u16 field count; per field: u32 name (string table index), u8 tag, value:
//       tag 0 number: f64 | 1 string: u32 length + UTF-8 | 2 true | 3 false | 4 null | 5 other: u32 length + JSON
//   string table: u32 count; per string: u32 length + UTF-8
import type { IngestRecord } from './record.js';

/** The JSON group form (format 2): receiver names once, then per record [receiver index, topic, arrivalMs,
 * eventMs, key, fields]. Read only. */
export interface WalGroupValue {
  v: 2;
  receivers: string[];
  records: [number, string, number, number, string, Record<string, unknown>][];
}

/** One WAL entry, read back: its key and its records with their sequence numbers from firstSeq on. */
export interface WalGroup {
  key: string;
  firstSeq: number;
  records: IngestRecord[];
}

const MAGIC = 0xb3;
const HEADER = 9;
const KIND_JSON = 0;
const KIND_FIELDS = 1;
const TAG_NUMBER = 0;
const TAG_STRING = 1;
const TAG_TRUE = 2;
const TAG_FALSE = 3;
const TAG_NULL = 4;
const TAG_JSON = 5;
/** Fixed part of a record: three string indexes, two times, the fields kind. */
const RECORD_FIXED = 12 + 16 + 1;

/**
 * Encodes one write's records into a WAL entry as they arrive (add), and hands the entry over (finish). Nothing
 * per record outlives add() but the bytes.
 */
export class WalWriter {
  private buf: Buffer;
  private view: DataView;
  private end = HEADER;
  private count = 0;
  private readonly strings = new Map<string, number>();
  private readonly table: string[] = [];
  private lastReceiver = '';
  private lastReceiverIndex = -1;

  constructor(capacity = 16 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(capacity, 64));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Records added since the last finish(). */
  get size(): number {
    return this.count;
  }

  /** Bytes written so far (a hint for the next writer's capacity). */
  get bytes(): number {
    return this.end;
  }

  /** Appends a record; `json`: the JSON text its fields were parsed from (exactly: JSON.parse gives them back). */
  add(record: IngestRecord, json?: Uint8Array): void {
    // The decoder reads past a byte order mark (TextDecoder), JSON.parse would not: leave it out.
    if (json !== undefined && json[0] === 0xef && json[1] === 0xbb && json[2] === 0xbf)
      json = json.subarray(3);
    let receiver = this.lastReceiverIndex;
    if (record.receiver !== this.lastReceiver || receiver < 0) {
      receiver = this.index(record.receiver);
      this.lastReceiver = record.receiver;
      this.lastReceiverIndex = receiver;
    }
    const topic = this.index(record.topic);
    const key = this.index(record.key);
    this.ensure(RECORD_FIXED + 4 + (json === undefined ? 0 : json.length));
    const v = this.view;
    let at = this.end;
    v.setUint32(at, receiver, true);
    v.setUint32(at + 4, topic, true);
    v.setUint32(at + 8, key, true);
    v.setFloat64(at + 12, record.arrivalMs, true);
    v.setFloat64(at + 20, record.eventMs, true);
    at += 28;
    if (json !== undefined) {
      v.setUint8(at, KIND_JSON);
      v.setUint32(at + 1, json.length, true);
      this.buf.set(json, at + 5);
      this.end = at + 5 + json.length;
    } else {
      v.setUint8(at, KIND_FIELDS);
      this.end = at + 1;
      this.fields(record.fields);
    }
    this.count++;
  }

  /** The entry holding every record added; the writer is then spent. */
  finish(): Buffer {
    const tableAt = this.end;
    this.ensure(4);
    this.view.setUint32(this.end, this.table.length, true);
    this.end += 4;
    for (const s of this.table) this.string(s);
    this.view.setUint8(0, MAGIC);
    this.view.setUint32(1, this.count, true);
    this.view.setUint32(5, tableAt, true);
    return this.buf.subarray(0, this.end);
  }

  private fields(fields: Record<string, unknown>): void {
    const countAt = this.end;
    this.ensure(2);
    this.end += 2;
    let n = 0;
    for (const name in fields) {
      if (!Object.hasOwn(fields, name)) continue;
      const value = fields[name];
      if (value === undefined) continue; // as JSON.stringify leaves it out
      this.ensure(5 + 8);
      const v = this.view;
      v.setUint32(this.end, this.index(name), true);
      const at = this.end + 4;
      if (typeof value === 'number') {
        v.setUint8(at, TAG_NUMBER);
        v.setFloat64(at + 1, value, true);
        this.end = at + 9;
      } else if (typeof value === 'string') {
        v.setUint8(at, TAG_STRING);
        this.end = at + 1;
        this.string(value);
      } else if (value === true || value === false || value === null) {
        v.setUint8(at, value === true ? TAG_TRUE : value === false ? TAG_FALSE : TAG_NULL);
        this.end = at + 1;
      } else {
        v.setUint8(at, TAG_JSON);
        this.end = at + 1;
        this.string(JSON.stringify(value));
      }
      n++;
    }
    if (n > 0xffff) throw new RangeError(`a record has more than 65535 fields (${n})`);
    this.view.setUint16(countAt, n, true);
  }

  private string(s: string): void {
    this.ensure(4 + 3 * s.length);
    const written = this.buf.write(s, this.end + 4, 'utf8');
    this.view.setUint32(this.end, written, true);
    this.end += 4 + written;
  }

  private index(s: string): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      i = this.table.push(s) - 1;
      this.strings.set(s, i);
    }
    return i;
  }

  private ensure(n: number): void {
    if (this.end + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.end + n) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.end);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}

/** Encodes records into one entry (records given as a whole; the intake adds them to a WalWriter as they come). */
export function encodeWalGroup(records: readonly IngestRecord[]): Buffer {
  const writer = new WalWriter();
  for (const r of records) writer.add(r);
  return writer.finish();
}

function isGroup(value: unknown): value is WalGroupValue {
  return typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 2;
}

/** A damaged entry: says which, so recovery can name it (LevelDB's own checksums make this a bug, not bad luck). */
function damaged(key: string, what: string): Error {
  return new Error(`WAL entry ${key} is damaged: ${what}`);
}

/**
 * Reads one WAL entry: a binary group (format 3), a JSON group (format 2), or a single JSON record stored under its
 * own sequence number (the oldest form). The value is the stored bytes, or a JSON value already parsed.
 */
export function decodeWalEntry(key: string, firstSeq: number, value: unknown): WalGroup {
  if (value instanceof Uint8Array) {
    if (value[0] === MAGIC) return { key, firstSeq, records: decodeBinary(key, value) };
    return decodeWalEntry(key, firstSeq, JSON.parse(Buffer.from(value).toString('utf8')));
  }
  if (!isGroup(value)) return { key, firstSeq, records: [value as IngestRecord] };
  const { receivers, records } = value;
  return {
    key,
    firstSeq,
    records: records.map(([ri, topic, arrivalMs, eventMs, recordKey, fields]) => ({
      receiver: receivers[ri] ?? '',
      topic,
      arrivalMs,
      eventMs,
      key: recordKey,
      fields,
    })),
  };
}

function decodeBinary(key: string, bytes: Uint8Array): IngestRecord[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < HEADER) throw damaged(key, 'shorter than its header');
  const count = v.getUint32(1, true);
  const tableAt = v.getUint32(5, true);
  let at = tableAt;
  const text = (): string => {
    const n = v.getUint32(at, true);
    if (at + 4 + n > buf.length) throw damaged(key, 'a string runs past its end');
    const s = buf.toString('utf8', at + 4, at + 4 + n);
    at += 4 + n;
    return s;
  };
  if (tableAt + 4 > buf.length) throw damaged(key, 'no string table');
  const tableSize = v.getUint32(at, true);
  at += 4;
  const table: string[] = new Array<string>(tableSize);
  for (let i = 0; i < tableSize; i++) table[i] = text();
  const str = (i: number): string => {
    const s = table[i];
    if (s === undefined) throw damaged(key, `string ${i} of ${tableSize}`);
    return s;
  };
  const records: IngestRecord[] = new Array<IngestRecord>(count);
  at = HEADER;
  for (let r = 0; r < count; r++) {
    if (at + RECORD_FIXED > tableAt) throw damaged(key, `record ${r} of ${count} runs past the records`);
    const receiver = str(v.getUint32(at, true));
    const topic = str(v.getUint32(at + 4, true));
    const recordKey = str(v.getUint32(at + 8, true));
    const arrivalMs = v.getFloat64(at + 12, true);
    const eventMs = v.getFloat64(at + 20, true);
    const kind = v.getUint8(at + 28);
    at += 29;
    let fields: Record<string, unknown>;
    if (kind === KIND_JSON) {
      fields = JSON.parse(text()) as Record<string, unknown>;
    } else if (kind === KIND_FIELDS) {
      const n = v.getUint16(at, true);
      at += 2;
      fields = {};
      for (let f = 0; f < n; f++) {
        const name = str(v.getUint32(at, true));
        const tag = v.getUint8(at + 4);
        at += 5;
        let value: unknown;
        if (tag === TAG_NUMBER) {
          value = v.getFloat64(at, true);
          at += 8;
        } else if (tag === TAG_STRING) value = text();
        else if (tag === TAG_TRUE) value = true;
        else if (tag === TAG_FALSE) value = false;
        else if (tag === TAG_NULL) value = null;
        else if (tag === TAG_JSON) value = JSON.parse(text());
        else throw damaged(key, `field tag ${tag}`);
        // defineProperty: a field named __proto__ stays a field, as JSON.parse keeps it.
        if (name === '__proto__')
          Object.defineProperty(fields, name, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else fields[name] = value;
      }
    } else throw damaged(key, `fields kind ${kind}`);
    records[r] = { receiver, topic, arrivalMs, eventMs, key: recordKey, fields };
  }
  return records;
}
