// Drops a source's redelivery of a message the intake already holds. MQTT QoS 1 is at-least-once: a crash
// between the write-ahead log and the PUBACK makes the broker send the message again (DUP set, same packet id).
// A fingerprint of each recent message (its source id, topic and payload: packet ids are reused) is written in
// the same atomic write as the records themselves, so the filter survives the crash it is there for.
//
// How many messages to remember: every one the broker may still send again. A broker resends what it sent and
// holds no PUBACK for, and that is not bounded by Sluice: the PUBACKs of messages already in the WAL can be lost
// (a SIGKILL resets the connection with them still in the sockets), and the broker's in-flight window can be
// large (Mosquitto's max_inflight_messages 0 means no limit, and Mosquitto 2.0.11 lets 20 more messages into
// flight per PUBACK it handles, so its default window of 20 grows to the whole backlog). What does bound it is
// the packet id: 16 bits, and not reused until acknowledged (MQTT 3.1.1 §2.3.1), so one session never holds more
// than 65,535 unacknowledged messages. Acknowledgements go out and are handled in arrival order, so while a
// message can still be redelivered, every message taken after it is unacknowledged too: the last 65,536 messages
// taken always include every message the broker may redeliver.
//
// Each write adds one chunk (its own messages' fingerprints) under its own key and deletes the chunks that fell
// out of the remembered window, so a write costs what its own messages cost, not a copy of the whole window. A
// small write (a slow sensor: one message per write) is folded into the newest chunk while that is small, so the
// window is never tens of thousands of tiny chunks.
// A fingerprint is 64 bits of a non-cryptographic hash, kept as two int32 in typed arrays: nothing is allocated
// per message, and nothing per message outlives it (a false match needs DUP set and a 2^-64 coincidence among a
// few tens of thousands). Only a redelivery is looked up: they are rare (after a reconnect), but come in bursts
// (a broker resends its whole window), so the first lookup after a write indexes the window, and the next write
// lets the index go.
import type { RawMessage } from '../../connectors/types.js';

/** Recent messages remembered per receiver (at least): as many as an MQTT session can leave unacknowledged. */
export const REMEMBERED = 65_536;

/** The newest chunk takes the next write's fingerprints too while it holds fewer than this many. */
const SMALL_CHUNK = 128;

/** A write's worth of fingerprints (int32 pairs), stored under `key` (encodeFingerprints). */
export interface FingerprintChunk {
  key: string;
  fingerprints: Int32Array;
}

/** What the pending write must carry for this filter. */
export interface FilterWrite {
  /** A new chunk, or the newest one rewritten with this write's fingerprints added (then `replaces`). */
  put: FingerprintChunk;
  /** Keys of chunks that fall out of the window with this write. */
  del: readonly string[];
  /** How many staged fingerprints this write takes. */
  staged: number;
  /** Whether `put` rewrites the newest remembered chunk under its key instead of adding one. */
  replaces: boolean;
}

/** Mixes a string's UTF-16 code units into both lanes. */
function mixString(h: Int32Array, s: string): void {
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  // A separator no code unit can be (they end at 0xffff): "ab" + "c" ≠ "a" + "bc".
  h[0] = Math.imul(h1 ^ 0x10000, 2654435761);
  h[1] = Math.imul(h2 ^ 0x10000, 1597334677);
}

/**
 * 64 bits of a non-cryptographic hash (two 32-bit multiply-xor lanes, cyrb53's mixing) of source id, topic and
 * payload, written into `out` as two int32.
 */
export function messageHash(sourceId: string, topic: string, payload: Uint8Array, out: Int32Array): void {
  out[0] = 0xdeadbeef | 0;
  out[1] = 0x41c6ce57;
  mixString(out, sourceId);
  mixString(out, topic);
  let h1 = out[0];
  let h2 = out[1];
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i] as number;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  out[0] = h1;
  out[1] = h2;
}

function contains(pairs: Int32Array, length: number, h1: number, h2: number): boolean {
  for (let i = 0; i < length; i += 2) if (pairs[i] === h1 && pairs[i + 1] === h2) return true;
  return false;
}

export class RedeliveryFilter {
  /** Remembered chunks, oldest first. */
  private chunks: FingerprintChunk[] = [];
  /** The remembered fingerprints indexed for lookups (buildIndex), until the chunks change. */
  private index: Map<number, number> | undefined;
  private remembered = 0;
  /** Fingerprints staged for the next write: int32 pairs in stagedPairs[0, 2 × staged). */
  private stagedPairs = new Int32Array(2 * 1024);
  private staged = 0;
  private readonly scratch = new Int32Array(2);
  private nextChunk = 1;
  /** A filter stored whole by an older version (another hash): never matches, deleted by the next write. */
  private legacyKeys: string[] = [];
  /** Redeliveries dropped since start. */
  dropped = 0;

  /** keyOf(n): the store key of chunk n (a sortable suffix of this receiver's prefix). */
  constructor(private readonly keyOf: (n: number) => string = String) {}

  /**
   * Takes a message: true when it is a redelivery of one already held (committed or staged for the pending write),
   * which the caller drops; otherwise stages its fingerprint (if it has a source id) for the next write.
   */
  admit(message: RawMessage): boolean {
    if (message.sourceId === undefined) return false;
    const h = this.scratch;
    messageHash(message.sourceId, message.topic, message.payload, h);
    const h1 = h[0] as number;
    const h2 = h[1] as number;
    if (message.redelivered === true && this.holds(h1, h2)) {
      this.dropped++;
      return true;
    }
    if (2 * this.staged + 2 > this.stagedPairs.length) {
      const grown = new Int32Array(this.stagedPairs.length * 2);
      grown.set(this.stagedPairs);
      this.stagedPairs = grown;
    }
    this.stagedPairs[2 * this.staged] = h1;
    this.stagedPairs[2 * this.staged + 1] = h2;
    this.staged++;
    return false;
  }

  private holds(h1: number, h2: number): boolean {
    if (contains(this.stagedPairs, 2 * this.staged, h1, h2)) return true;
    this.index ??= this.buildIndex();
    const found = this.index.get(h1);
    if (found === undefined) return false;
    if (!Number.isNaN(found)) return found === h2;
    return this.chunks.some((c) => contains(c.fingerprints, c.fingerprints.length, h1, h2));
  }

  /** The remembered fingerprints by first half: the second half, or NaN where two share a first half. */
  private buildIndex(): Map<number, number> {
    const index = new Map<number, number>();
    for (const { fingerprints } of this.chunks) {
      for (let i = 0; i < fingerprints.length; i += 2) {
        const h1 = fingerprints[i] as number;
        const h2 = fingerprints[i + 1] as number;
        const seen = index.get(h1);
        index.set(h1, seen === undefined || seen === h2 ? h2 : Number.NaN);
      }
    }
    return index;
  }

  /** True when something is staged: the next write must carry planWrite(). */
  get dirty(): boolean {
    return this.staged > 0 || this.legacyKeys.length > 0;
  }

  /** The chunk for the pending write (every fingerprint staged so far) and the chunks it pushes out. */
  planWrite(): FilterWrite {
    const staged = this.staged;
    const del = [...this.legacyKeys];
    let left = this.remembered + staged;
    let evicted = 0;
    for (const chunk of this.chunks) {
      const n = chunk.fingerprints.length / 2;
      if (left - n < REMEMBERED) break;
      left -= n;
      del.push(chunk.key);
      evicted++;
    }
    const newest = this.chunks.at(-1);
    if (
      newest !== undefined &&
      evicted < this.chunks.length &&
      newest.fingerprints.length < 2 * SMALL_CHUNK
    ) {
      const fingerprints = new Int32Array(newest.fingerprints.length + 2 * staged);
      fingerprints.set(newest.fingerprints);
      fingerprints.set(this.stagedPairs.subarray(0, 2 * staged), newest.fingerprints.length);
      return { put: { key: newest.key, fingerprints }, del, staged, replaces: true };
    }
    const fingerprints = this.stagedPairs.slice(0, 2 * staged);
    return { put: { key: this.keyOf(this.nextChunk++), fingerprints }, del, staged, replaces: false };
  }

  /** The pending write succeeded: its chunk is remembered, the chunks it deleted are not. Fingerprints staged
   * during the write stay staged for the next one. */
  commit(write: FilterWrite): void {
    if (this.legacyKeys.length > 0) this.legacyKeys = this.legacyKeys.filter((k) => !write.del.includes(k));
    // The chunks a write deletes are the oldest ones.
    const dropped = new Set(write.del);
    let evicted = 0;
    while (evicted < this.chunks.length && dropped.has((this.chunks[evicted] as FingerprintChunk).key)) {
      this.remembered -= (this.chunks[evicted] as FingerprintChunk).fingerprints.length / 2;
      evicted++;
    }
    if (evicted > 0) this.chunks.splice(0, evicted);
    if (write.replaces) {
      const newest = this.chunks.pop();
      if (newest !== undefined) this.remembered -= newest.fingerprints.length / 2;
    }
    this.add(write.put);
    this.unstage(write.staged);
  }

  /** The pending write failed: its fingerprints are not held. */
  discard(write: FilterWrite): void {
    this.unstage(write.staged);
  }

  /** Restores what the store holds, oldest chunk first; the next chunk is numbered after `lastChunk`. */
  restore(chunks: readonly FingerprintChunk[], lastChunk: number, legacyKeys: readonly string[] = []): void {
    this.index = undefined;
    this.chunks = [];
    this.remembered = 0;
    this.staged = 0;
    for (const chunk of chunks) this.add(chunk);
    this.nextChunk = lastChunk + 1;
    this.legacyKeys = [...legacyKeys];
  }

  private add(chunk: FingerprintChunk): void {
    this.index = undefined;
    this.chunks.push(chunk);
    this.remembered += chunk.fingerprints.length / 2;
  }

  /** Drops the first n staged fingerprints (those a write took). */
  private unstage(n: number): void {
    this.stagedPairs.copyWithin(0, 2 * n, 2 * this.staged);
    this.staged -= n;
  }
}

/** A chunk's fingerprints as stored: base64 of their int32 pairs, little-endian (one short string per write, where
 * a JSON array of numbers cost a number formatted per fingerprint half). */
export function encodeFingerprints(fingerprints: Int32Array): string {
  const bytes = Buffer.allocUnsafe(fingerprints.length * 4);
  for (let i = 0; i < fingerprints.length; i++) bytes.writeInt32LE(fingerprints[i] as number, i * 4);
  return bytes.toString('base64');
}

/** A stored chunk's fingerprints: base64 (encodeFingerprints) or the older JSON array of numbers; undefined for
 * anything else (an older filter stored whole, with another hash). */
export function parseFingerprints(value: unknown): Int32Array | undefined {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length % 8 !== 0) return undefined;
    const out = new Int32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt32LE(i * 4);
    return out;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return Int32Array.from(value);
  return undefined;
}
