// One sink's outbox with its bounds: running counters (entries, bytes, oldest key) kept beside the LevelDB
// sublevel so status never scans it, the overflow policy applied inside the driver's atomic commit, and the
// forwarder's take/acknowledge. A per-outbox lock orders the driver's commit against the forwarder's deletes, so
// an entry dropped while it is being sent is counted once.
import type { OutboxEntry } from '../connectors/types.js';
import type { OutboxLimits } from './config/common-schemas.js';
import { outboxKey, parseSeqKey } from './store/keys.js';
import type { BatchOp, JsonLevel, Store } from './store/store.js';

export interface OutboxCounters {
  entries: number;
  bytes: number;
  /** Key of the oldest entry (batch time/position), or null when empty. */
  oldestKey: string | null;
  /** Entries dropped since start, per reason. */
  dropped: { full: number; age: number };
}

/** What a batch's commit does to one outbox; settle with committed() after the write, else release(). */
export interface OutboxPlan {
  ops: BatchOp[];
  /** Entries the commit adds. */
  added: number;
  /** Updates the counters; resolves once the oldest key is read back. */
  committed(): Promise<void>;
  release(): void;
}

/** The bytes an entry counts for: what it takes in the store and on the wire, near enough. */
export function entryBytes(entry: OutboxEntry): number {
  return Buffer.byteLength(entry.value) + Buffer.byteLength(entry.key) + Buffer.byteLength(entry.id);
}

/** Batch time (epoch ms) of an outbox key. */
export function keyTimeMs(key: string): number {
  return parseSeqKey(key.split('/')[0] ?? '');
}

export class Outbox {
  private entries = 0;
  private bytes = 0;
  private oldestKey: string | null = null;
  private readonly dropped = { full: 0, age: 0 };
  /** Entries handed to the forwarder and not yet acknowledged, with their bytes. */
  private readonly inFlight = new Map<string, number>();
  /** Entries dropped while being sent, by reason: if the send succeeds after all, they were not lost. */
  private readonly droppedInFlight = new Map<string, 'full' | 'age'>();
  private lock: Promise<void> = Promise.resolve();
  /**
   * A key at or below which no entry is left (the newest one deleted from the front). Reads start after it:
   * LevelDB iterators otherwise step over every deleted entry until compaction, which makes draining a large
   * outbox quadratic. New entries always sort after existing ones (batch times only grow).
   */
  private floor: string | undefined;
  readonly level: JsonLevel;

  private constructor(
    readonly sinkId: string,
    private readonly store: Store,
    readonly limits: OutboxLimits,
    private readonly now: () => number,
  ) {
    this.level = store.outbox(sinkId);
  }

  /** Opens a sink's outbox, counting what it holds (the one full scan, at start). */
  static async open(
    store: Store,
    sinkId: string,
    limits: OutboxLimits,
    now: () => number = Date.now,
  ): Promise<Outbox> {
    const outbox = new Outbox(sinkId, store, limits, now);
    for await (const [key, value] of outbox.level.iterator()) {
      outbox.oldestKey ??= key;
      outbox.entries++;
      outbox.bytes += entryBytes(value as OutboxEntry);
    }
    return outbox;
  }

  get counters(): OutboxCounters {
    return {
      entries: this.entries,
      bytes: this.bytes,
      oldestKey: this.oldestKey,
      dropped: { ...this.dropped },
    };
  }

  /**
   * Plans a batch's commit into this outbox: drops entries older than maxAge, then applies the overflow policy
   * (drop-oldest: delete the oldest entries, already stored or new, until the batch fits; reject-new: leave out
   * the new entries that do not fit). Holds the outbox's lock until the plan is settled.
   */
  async plan(batchTimeMs: number, entries: readonly OutboxEntry[]): Promise<OutboxPlan> {
    const release = await this.acquire();
    try {
      return await this.planLocked(batchTimeMs, entries, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * The oldest `limit` entries, marked as being sent; with `after`, the oldest ones after that key (the forwarder
   * reads the next chunk while the one ending there is being sent).
   */
  async take(limit: number, after?: string): Promise<{ keys: string[]; entries: OutboxEntry[] }> {
    const release = await this.acquire();
    try {
      const keys: string[] = [];
      const entries: OutboxEntry[] = [];
      const range = this.range();
      const from =
        after !== undefined && (range.gt === undefined || after > range.gt) ? { gt: after } : range;
      // One native read of the whole chunk (nextv), not an await per entry.
      for (const [key, value] of await this.level.iterator({ ...from, limit }).all()) {
        const entry = value as OutboxEntry;
        keys.push(key);
        entries.push(entry);
        this.inFlight.set(key, entryBytes(entry));
      }
      return { keys, entries };
    } finally {
      release();
    }
  }

  /** Deletes entries the sink acknowledged; one dropped meanwhile (by the overflow policy) counts once. */
  async acknowledge(keys: readonly string[]): Promise<void> {
    const release = await this.acquire();
    try {
      await this.store.write(keys.map((key) => ({ type: 'del', sublevel: this.level, key })));
      // Acknowledged entries are the oldest ones taken: nothing is left up to the last of them.
      this.raiseFloor(keys.at(-1));
      for (const key of keys) {
        const reason = this.droppedInFlight.get(key);
        if (reason !== undefined) {
          // Dropped while it was being sent, and it arrived anyway: not a loss.
          this.droppedInFlight.delete(key);
          this.dropped[reason]--;
        }
        const bytes = this.inFlight.get(key);
        if (bytes === undefined) continue;
        this.inFlight.delete(key);
        this.entries--;
        this.bytes -= bytes;
      }
      await this.refreshOldest();
    } finally {
      release();
    }
  }

  /**
   * Records when a send of an entry being sent first failed (OutboxEntry.firstFailedMs), in the store, so that it
   * survives a restart. Does nothing when the entry has it already, or was dropped or acknowledged meanwhile.
   */
  async markFailed(key: string, entry: OutboxEntry, atMs: number): Promise<void> {
    if (entry.firstFailedMs !== undefined) return;
    const release = await this.acquire();
    try {
      if (!this.inFlight.has(key)) return;
      await this.store.write([
        { type: 'put', sublevel: this.level, key, value: { ...entry, firstFailedMs: atMs } },
      ]);
    } finally {
      release();
    }
  }

  /** A send failed: its entries stay and are taken again. */
  abandon(keys: readonly string[]): void {
    for (const key of keys) {
      this.inFlight.delete(key);
      this.droppedInFlight.delete(key);
    }
  }

  private async planLocked(
    batchTimeMs: number,
    entries: readonly OutboxEntry[],
    release: () => void,
  ): Promise<OutboxPlan> {
    const { maxBytes, maxAge, onFull } = this.limits;
    const ageCutoff = this.now() - maxAge;
    const sizes = entries.map(entryBytes);
    const incoming = sizes.reduce((a, b) => a + b, 0);
    const ops: BatchOp[] = [];
    const removed: { key: string; bytes: number; reason: 'full' | 'age' }[] = [];
    let stored = this.bytes;
    // Stored entries, oldest first: drop the expired ones, and with drop-oldest as many as the batch needs.
    const needsRoom = (): boolean => onFull === 'drop-oldest' && stored + incoming > maxBytes;
    if (this.oldestKey !== null && (keyTimeMs(this.oldestKey) < ageCutoff || needsRoom())) {
      for await (const [key, value] of this.level.iterator(this.range())) {
        let reason: 'full' | 'age';
        if (keyTimeMs(key) < ageCutoff) reason = 'age';
        else if (needsRoom()) reason = 'full';
        else break;
        const bytes = entryBytes(value as OutboxEntry);
        removed.push({ key, bytes, reason });
        ops.push({ type: 'del', sublevel: this.level, key });
        stored -= bytes;
      }
    }
    // The batch's own entries: those that do not fit are left out (the oldest of them with drop-oldest).
    let rejected = 0;
    let added = 0;
    let addedBytes = 0;
    const fresh = batchTimeMs >= ageCutoff;
    if (onFull === 'drop-oldest') {
      let skip = 0;
      let total = incoming;
      while (skip < entries.length && stored + total > maxBytes) total -= sizes[skip++] as number;
      rejected = skip;
      entries.forEach((entry, i) => {
        if (i < skip || !fresh) return;
        ops.push({ type: 'put', sublevel: this.level, key: outboxKey(batchTimeMs, i), value: entry });
        added++;
        addedBytes += sizes[i] as number;
      });
    } else {
      entries.forEach((entry, i) => {
        const size = sizes[i] as number;
        if (!fresh) return;
        if (stored + addedBytes + size > maxBytes) {
          rejected++;
          return;
        }
        ops.push({ type: 'put', sublevel: this.level, key: outboxKey(batchTimeMs, i), value: entry });
        added++;
        addedBytes += size;
      });
    }
    const expiredOnArrival = fresh ? 0 : entries.length;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    return {
      ops,
      added,
      committed: async () => {
        if (!settle()) return;
        for (const { key, bytes, reason } of removed) {
          this.dropped[reason]++;
          if (this.inFlight.delete(key)) this.droppedInFlight.set(key, reason);
          this.entries--;
          this.bytes -= bytes;
        }
        this.raiseFloor(removed.at(-1)?.key);
        this.dropped.full += rejected;
        this.dropped.age += expiredOnArrival;
        this.entries += added;
        this.bytes += addedBytes;
        // A failed read leaves the oldest key stale until the next change; the commit itself stands.
        await this.refreshOldest().catch(() => undefined);
        release();
      },
      release: () => {
        if (settle()) release();
      },
    };
  }

  private async refreshOldest(): Promise<void> {
    this.oldestKey = null;
    const [oldest] = await this.level.keys({ ...this.range(), limit: 1 }).all();
    this.oldestKey = oldest ?? null;
  }

  private range(): { gt?: string } {
    return this.floor === undefined ? {} : { gt: this.floor };
  }

  private raiseFloor(key: string | undefined): void {
    if (key !== undefined && (this.floor === undefined || key > this.floor)) this.floor = key;
  }

  private async acquire(): Promise<() => void> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }
}

/** Every sink's outbox: what the driver hands a batch's outputs to, inside its atomic commit. */
export class OutboxSet {
  private readonly outboxes = new Map<string, Outbox>();

  add(outbox: Outbox): void {
    this.outboxes.set(outbox.sinkId, outbox);
  }

  get(sinkId: string): Outbox | undefined {
    return this.outboxes.get(sinkId);
  }

  /** Plans a batch's commit into every outbox (each one, for maxAge, even without new entries). */
  async plan(batchTimeMs: number, outputs: ReadonlyMap<string, readonly OutboxEntry[]>): Promise<OutboxPlan> {
    const plans: OutboxPlan[] = [];
    const ops: BatchOp[] = [];
    let added = 0;
    try {
      // Locks are taken in one order (sink id) so two planners could never deadlock.
      for (const id of [...this.outboxes.keys()].sort()) {
        const plan = await (this.outboxes.get(id) as Outbox).plan(batchTimeMs, outputs.get(id) ?? []);
        plans.push(plan);
        ops.push(...plan.ops);
        added += plan.added;
      }
    } catch (err) {
      for (const plan of plans) plan.release();
      throw err;
    }
    return {
      ops,
      added,
      committed: async () => {
        for (const plan of plans) await plan.committed();
      },
      release: () => {
        for (const plan of plans) plan.release();
      },
    };
  }
}
