// The WAL entry format (intake/wal.ts): what the intake writes reads back as the same records, whichever way the
// fields were stored (a JSON payload's bytes, or the binary fields form), and the older JSON forms still read.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { IngestRecord } from '../../../daemon/intake/record.js';
import { decodeWalEntry, encodeWalGroup, WalWriter } from '../../../daemon/intake/wal.js';

const record = (over: Partial<IngestRecord> = {}): IngestRecord => ({
  receiver: 'r',
  topic: 'sensors/a/telemetry',
  arrivalMs: 1_700_000_000_123,
  eventMs: 1_700_000_000_000,
  key: 'a',
  fields: { temp: 21.5 },
  ...over,
});

it('reads back records stored with binary fields: every JSON value type, unicode, odd names', () => {
  const records = [
    record({
      fields: { n: 1, neg: -0.25, big: 1e300, s: 'héllo ✓ 😀', empty: '', t: true, f: false, z: null },
    }),
    record({ fields: { nested: { a: [1, 'x', { b: null }] }, list: [1, 2] }, receiver: 'other', key: 'b' }),
    record({ fields: {} }),
    record({ fields: JSON.parse('{"__proto__": 5, "constructor": "c", "": 1}') as Record<string, unknown> }),
  ];
  const back = decodeWalEntry('k', 7, encodeWalGroup(records));
  expect(back.key).toBe('k');
  expect(back.firstSeq).toBe(7);
  expect(back.records).toEqual(records);
  expect(Object.hasOwn(back.records[3]?.fields ?? {}, '__proto__')).toBe(true);
  expect(Object.getPrototypeOf(back.records[3]?.fields)).toBe(Object.prototype);
});

it('stores a JSON payload as its bytes and parses the same fields back (a BOM is left out, as the decoder does)', () => {
  const writer = new WalWriter(64); // small: grows while writing
  const payloads = [
    '{"ts":1,"temp":20.5}',
    '\ufeff{"ts":2,"temp":"x"}',
    JSON.stringify({ long: 'y'.repeat(500) }),
  ];
  const records = payloads.map((p, i) =>
    record({ fields: JSON.parse(p.replace(/^\ufeff/, '')) as Record<string, unknown>, eventMs: i }),
  );
  records.forEach((r, i) => {
    writer.add(r, Buffer.from(payloads[i] ?? ''));
  });
  expect(writer.size).toBe(3);
  const entry = writer.finish();
  expect(entry.includes(Buffer.from('"temp":20.5'))).toBe(true);
  expect(decodeWalEntry('k', 1, entry).records).toEqual(records);
});

it('round-trips any JSON-like fields (property)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          receiver: fc.constantFrom('a', 'b', 'ü'),
          topic: fc.string(),
          key: fc.string(),
          arrivalMs: fc.integer({ min: 0, max: 2 ** 45 }),
          eventMs: fc.double({ noNaN: true }),
          fields: fc.dictionary(fc.string(), fc.jsonValue()),
        }),
        { maxLength: 20 },
      ),
      (records) => {
        // What a record holds after a JSON round trip is what the WAL must give back (-0 is JSON's 0).
        const plain = JSON.parse(JSON.stringify(records)) as IngestRecord[];
        for (const [i, r] of plain.entries()) r.eventMs = (records[i] as IngestRecord).eventMs;
        expect(decodeWalEntry('k', 1, encodeWalGroup(plain)).records).toEqual(plain);
      },
    ),
  );
});

it('reads the older forms from their stored bytes: a JSON group (format 2) and a single JSON record', () => {
  const group = { v: 2, receivers: ['r'], records: [[0, 't', 5, 6, 'k', { v: 1 }]] };
  expect(decodeWalEntry('k', 3, Buffer.from(JSON.stringify(group))).records).toEqual([
    { receiver: 'r', topic: 't', arrivalMs: 5, eventMs: 6, key: 'k', fields: { v: 1 } },
  ]);
  const single = record();
  expect(decodeWalEntry('k', 3, Buffer.from(JSON.stringify(single))).records).toEqual([single]);
});

it('names a damaged entry instead of inventing records', () => {
  const entry = encodeWalGroup([record(), record({ key: 'b' })]);
  expect(() => decodeWalEntry('0042', 1, entry.subarray(0, 20))).toThrow(/WAL entry 0042 is damaged/);
  const bad = Buffer.from(entry);
  bad[9 + 28] = 9; // the first record's fields kind
  expect(() => decodeWalEntry('0042', 1, bad)).toThrow(/WAL entry 0042 is damaged: fields kind 9/);
});
