// Drops a source's redelivery of a message the intake already holds. MQTT QoS 1 is at-least-once: a crash
// between the write-ahead log and the PUBACK makes the broker send the message again (DUP set, same packet id).
// The ids of recent messages, with a hash of topic and payload (packet ids are reused), are written in the same
// atomic write as the records themselves, so the filter survives the crash it is there for.
//
// Each write adds one chunk (its own messages' fingerprints) under its own key and deletes the chunks that fell
// out of the remembered window, so a write costs what its own messages cost, not a copy of the whole window.
// The hash is not cryptographic: it separates messages that share a packet id among the few thousand remembered
// (64 bits: a false match needs DUP set, the same packet id and a 2^-64 coincidence).
import type { RawMessage } from '../../connectors/types.js';

/** Recent messages remembered per receiver (at least): more than any broker keeps in flight to one client. */
const REMEMBERED = 2048;

/** A write's worth of fingerprints, stored under `key`. */
export interface FingerprintChunk {
  key: string;
  fingerprints: readonly string[];
}

/** What the pending write must carry for this filter. */
export interface FilterWrite {
  put: FingerprintChunk;
  /** Keys of chunks that fall out of the window with this write. */
  del: readonly string[];
  /** How many staged fingerprints the chunk holds (those staged by the write's messages). */
  staged: number;
}

/** 64 bits of a non-cryptographic hash (two 32-bit multiply-xor lanes, cyrb53's mixing) of topic and payload. */
export function messageHash(topic: string, payload: Uint8Array): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  // A separator no topic character can be (UTF-16 code units end at 0xffff): topic "a" + payload "b" ≠ "ab" + "".
  h1 = Math.imul(h1 ^ 0x10000, 2654435761);
  h2 = Math.imul(h2 ^ 0x10000, 1597334677);
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i] as number;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${(h2 >>> 0).toString(36)}.${(h1 >>> 0).toString(36)}`;
}

export class RedeliveryFilter {
  /** Remembered fingerprints, with how many chunks hold each (a packet id and payload can repeat). */
  private readonly committed = new Map<string, number>();
  /** The chunks behind `committed`, oldest first. */
  private chunks: FingerprintChunk[] = [];
  private remembered = 0;
  private staged: string[] = [];
  private nextChunk = 1;
  /** Redeliveries dropped since start. */
  dropped = 0;

  /** keyOf(n): the store key of chunk n (a sortable suffix of this receiver's prefix). */
  constructor(private readonly keyOf: (n: number) => string = String) {}

  /** The fingerprint to remember, or undefined for messages without a source id. */
  fingerprint(message: RawMessage): string | undefined {
    if (message.sourceId === undefined) return undefined;
    return `${message.sourceId}:${messageHash(message.topic, message.payload)}`;
  }

  /** True when the message is a redelivery of one already held (committed or in the pending write). */
  isDuplicate(message: RawMessage, fingerprint: string | undefined): boolean {
    if (fingerprint === undefined || message.redelivered !== true) return false;
    return this.committed.has(fingerprint) || this.staged.includes(fingerprint);
  }

  stage(fingerprint: string): void {
    this.staged.push(fingerprint);
  }

  /** True when something is staged: the next write must carry planWrite(). */
  get dirty(): boolean {
    return this.staged.length > 0;
  }

  /** The chunk for the pending write (every fingerprint staged so far) and the chunks it pushes out. */
  planWrite(): FilterWrite {
    const staged = this.staged.length;
    const put = { key: this.keyOf(this.nextChunk++), fingerprints: this.staged.slice(0, staged) };
    const del: string[] = [];
    let left = this.remembered + staged;
    for (const chunk of this.chunks) {
      if (left - chunk.fingerprints.length < REMEMBERED) break;
      left -= chunk.fingerprints.length;
      del.push(chunk.key);
    }
    return { put, del, staged };
  }

  /** The pending write succeeded: its chunk is remembered, the chunks it deleted are not. Fingerprints staged
   * during the write stay staged for the next one. */
  commit(write: FilterWrite): void {
    this.add(write.put);
    for (let i = 0; i < write.del.length; i++) {
      const chunk = this.chunks.shift();
      if (chunk === undefined) break;
      this.remembered -= chunk.fingerprints.length;
      for (const f of chunk.fingerprints) {
        const n = this.committed.get(f) ?? 0;
        if (n <= 1) this.committed.delete(f);
        else this.committed.set(f, n - 1);
      }
    }
    this.staged = this.staged.slice(write.staged);
  }

  /** The pending write failed: its fingerprints are not held. */
  discard(write: FilterWrite): void {
    this.staged = this.staged.slice(write.staged);
  }

  /** Restores what the store holds, oldest chunk first; the next chunk is numbered after `lastChunk`. */
  restore(chunks: readonly FingerprintChunk[], lastChunk: number): void {
    this.committed.clear();
    this.chunks = [];
    this.remembered = 0;
    this.staged = [];
    for (const chunk of chunks) this.add(chunk);
    this.nextChunk = lastChunk + 1;
  }

  private add(chunk: FingerprintChunk): void {
    this.chunks.push(chunk);
    this.remembered += chunk.fingerprints.length;
    for (const f of chunk.fingerprints) this.committed.set(f, (this.committed.get(f) ?? 0) + 1);
  }
}
