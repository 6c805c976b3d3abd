// How records sit in the write-ahead log: one entry per group commit, not one per record. The entry's key is the
// sequence number of its first record (store/keys.ts seqKey); its records have the consecutive numbers from there.
// One LevelDB operation per write instead of one per record is most of what a record costs to make durable (each
// operation is cloned, encoded, prefixed and copied into the native batch, and deleted again one by one), and the
// records go in as arrays, not objects, so their field names are not stored a thousand times over.
//
// A batch never splits a group: the driver cuts only whole writes (intake.ts). Entries written one record per key
// (before groups) are still read.
import type { IngestRecord } from './record.js';

/** The stored form of one group: receiver names once, then per record [receiver index, topic, arrivalMs,
 * eventMs, key, fields]. */
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

export function encodeWalGroup(records: readonly IngestRecord[]): WalGroupValue {
  const receivers: string[] = [];
  const rows: WalGroupValue['records'] = [];
  let last = '';
  let lastIndex = -1;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as IngestRecord;
    if (r.receiver !== last || lastIndex < 0) {
      lastIndex = receivers.indexOf(r.receiver);
      if (lastIndex < 0) lastIndex = receivers.push(r.receiver) - 1;
      last = r.receiver;
    }
    rows.push([lastIndex, r.topic, r.arrivalMs, r.eventMs, r.key, r.fields]);
  }
  return { v: 2, receivers, records: rows };
}

function isGroup(value: unknown): value is WalGroupValue {
  return typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 2;
}

/** Reads one WAL entry: a group, or a single record stored under its own sequence number (the older form). */
export function decodeWalEntry(key: string, firstSeq: number, value: unknown): WalGroup {
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
