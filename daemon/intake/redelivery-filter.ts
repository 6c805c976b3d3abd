// Drops a source's redelivery of a message the intake already holds. MQTT QoS 1 is at-least-once: a crash
// between the write-ahead log and the PUBACK makes the broker send the message again (DUP set, same packet id).
// The ids of recent messages, with a hash of topic and payload (packet ids are reused), are written in the same
// atomic write as the records themselves, so the filter survives the crash it is there for.
import { createHash } from 'node:crypto';
import type { RawMessage } from '../../connectors/types.js';

/** Recent messages remembered per receiver: more than any broker keeps in flight to one client. */
const REMEMBERED = 2048;

export class RedeliveryFilter {
  private committed = new Set<string>();
  private staged: string[] = [];
  /** Redeliveries dropped since start. */
  dropped = 0;

  /** The fingerprint to remember, or undefined for messages without a source id. */
  fingerprint(message: RawMessage): string | undefined {
    if (message.sourceId === undefined) return undefined;
    const hash = createHash('sha1')
      .update(message.topic)
      .update('\0')
      .update(message.payload)
      .digest('base64url');
    return `${message.sourceId}:${hash.slice(0, 16)}`;
  }

  /** True when the message is a redelivery of one already held (committed or in the pending write). */
  isDuplicate(message: RawMessage, fingerprint: string | undefined): boolean {
    if (fingerprint === undefined || message.redelivered !== true) return false;
    return this.committed.has(fingerprint) || this.staged.includes(fingerprint);
  }

  stage(fingerprint: string): void {
    this.staged.push(fingerprint);
  }

  /** True when something is staged: the next write must carry snapshot(). */
  get dirty(): boolean {
    return this.staged.length > 0;
  }

  /** How many fingerprints are staged: the pending write's, passed back to commit() or discard(). */
  get stagedCount(): number {
    return this.staged.length;
  }

  /** What to persist with the pending write: the remembered fingerprints after it. */
  snapshot(staged = this.staged.length): string[] {
    const all = [...this.committed, ...this.staged.slice(0, staged)];
    return all.slice(Math.max(0, all.length - REMEMBERED));
  }

  /** The pending write, which carried the first `staged` fingerprints, succeeded; later ones stay staged for
   * the next write (deliveries go on while a write is in progress). Default: all. */
  commit(staged = this.staged.length): void {
    this.committed = new Set(this.snapshot(staged));
    this.staged = this.staged.slice(staged);
  }

  /** The pending write failed: its `staged` fingerprints are not held (default: all). */
  discard(staged = this.staged.length): void {
    this.staged = this.staged.slice(staged);
  }

  restore(fingerprints: readonly string[]): void {
    this.committed = new Set(fingerprints);
    this.staged = [];
  }
}
