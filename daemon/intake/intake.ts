// The intake: decodes receivers' messages into records, writes them to the write-ahead log in group commits
// (leader/follower: the first message starts a write at once, and whatever arrives during it rides on the next
// one), and holds them until the driver cuts them into a batch. deliver() resolves only once a message is
// durable, which is when receivers acknowledge. The number of records waiting for a batch is bounded: when full,
// deliver() waits (backpressure). Each write puts its records into the WAL as one binary entry (wal.ts), encoded
// as they are delivered.
import type { DeliverOptions, RawMessage } from '../../connectors/types.js';
import { SluiceError } from '../errors.js';
import type { BatchOp, Store } from '../store/store.js';
import { parseSeqKey, seqKey } from '../store/keys.js';
import { deadLetter, type DeadLetter } from './dead-letter.js';
import type { IngestRecord, RecordBuilder } from './record.js';
import {
  encodeFingerprints,
  parseFingerprints,
  RedeliveryFilter,
  type FilterWrite,
  type FingerprintChunk,
} from './redelivery-filter.js';
import { WalWriter, type WalGroup } from './wal.js';

/** Meta key prefix of the receivers' redelivery filters: `redelivery/<receiver>/<chunk>` (an older form kept the
 * whole filter under `redelivery/<receiver>`). */
export const REDELIVERY = 'redelivery/';

/** Meta key prefix of receivers' source positions: `progress/<receiver>/<key>` (see DeliverOptions.progress). */
export const PROGRESS = 'progress/';

/** The meta key prefix of one receiver's redelivery filter chunks. */
export function redeliveryPrefix(receiverId: string): string {
  return `${REDELIVERY}${receiverId}/`;
}

/** The meta key prefix of one receiver's source positions. */
export function progressPrefix(receiverId: string): string {
  return `${PROGRESS}${receiverId}/`;
}

export interface IntakeOptions {
  /** Records received but not yet in a batch before deliver() waits (default 100 000). */
  maxPending?: number;
  /** How long an idle intake waits for company before it starts a write, ms (default 0: the write starts on the
   * next turn of the event loop). A write in progress always collects the messages for the next one. */
  flushDelayMs?: number;
}

export interface ReceiverCounters {
  records: number;
  deadLetters: number;
  lastRecordMs: number | null;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Durable records waiting for a batch: one WAL entry's worth (a write's), whose sequence numbers end at toSeq. */
interface PendingGroup {
  key: string;
  toSeq: number;
  records: IngestRecord[];
}

export class Intake {
  private readonly maxPending: number;
  private readonly flushDelayMs: number;
  private nextSeq = 1;
  private deadSeq = 1;
  private lastCutSeq = 0;
  private pending: PendingGroup[] = [];
  private pendingRecords = 0;
  /** Ops of the next write other than its WAL entry (dead letters, progress). */
  private buffer: BatchOp[] = [];
  /** Records of the next write, with consecutive sequence numbers from bufferFirstSeq. */
  private bufferRecords: IngestRecord[] = [];
  private bufferFirstSeq = 0;
  /** The next write's WAL entry, bufferRecords encoded as they come. */
  private walWriter = new WalWriter();
  private bufferWaiters: Waiter[] = [];
  /** A write is queued on `flushing` and has not yet taken the buffer: deliveries until then ride on it. */
  private flushQueued = false;
  /** The chain of group commits, one after the other; settles when the last queued write has. */
  private flushing: Promise<void> = Promise.resolve();
  private roomWaiters: (() => void)[] = [];
  private readonly builders = new Map<string, RecordBuilder>();
  private readonly filters = new Map<string, RedeliveryFilter>();
  readonly counters = new Map<string, ReceiverCounters>();
  /** The last store error (a full disk), cleared by the next successful write. */
  lastError: SluiceError | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    options: IntakeOptions = {},
  ) {
    this.maxPending = options.maxPending ?? 100_000;
    this.flushDelayMs = options.flushDelayMs ?? 0;
  }

  /** Registers how a receiver's messages become records. */
  addReceiver(id: string, build: RecordBuilder): void {
    this.builders.set(id, build);
    const prefix = redeliveryPrefix(id);
    this.filters.set(id, new RedeliveryFilter((n) => `${prefix}${seqKey(n)}`));
    this.counters.set(id, { records: 0, deadLetters: 0, lastRecordMs: null });
  }

  /** Continues sequence numbers after those already used, and takes back records not yet in a batch: whole WAL
   * entries, or their part after lastCutSeq (firstSeq is that of records[0]). */
  resume(lastSeq: number, lastCutSeq: number, uncommitted: readonly WalGroup[], lastDeadSeq: number): void {
    this.nextSeq = lastSeq + 1;
    this.lastCutSeq = lastCutSeq;
    this.deadSeq = lastDeadSeq + 1;
    this.pending = uncommitted
      .filter((g) => g.records.length > 0)
      .map((g) => ({ key: g.key, toSeq: g.firstSeq + g.records.length - 1, records: g.records.slice() }));
    this.pendingRecords = this.pending.reduce((n, g) => n + g.records.length, 0);
  }

  /** Restores every registered receiver's redelivery filter from what the store holds. */
  async restoreRedeliveries(): Promise<void> {
    for (const [id, filter] of this.filters) {
      const prefix = redeliveryPrefix(id);
      const chunks: FingerprintChunk[] = [];
      // Older forms (the whole filter under one key; fingerprints as strings of another hash) can never match
      // a fingerprint of this one: they are deleted by the next write.
      const whole = prefix.slice(0, -1);
      const legacy = (await this.store.meta.get(whole)) === undefined ? [] : [whole];
      let last = 0;
      // '0' follows '/': the range holds exactly the keys under `<receiver>/`, in chunk order.
      for await (const [key, value] of this.store.meta.iterator({ gte: prefix, lt: `${whole}0` })) {
        last = Math.max(last, parseSeqKey(key.slice(prefix.length)));
        const fingerprints = parseFingerprints(value);
        if (fingerprints !== undefined) chunks.push({ key, fingerprints });
        else legacy.push(key);
      }
      filter.restore(chunks, last, legacy);
    }
  }

  /** A receiver's saved progress (what its deliveries' `progress` wrote), by key. */
  async savedProgress(receiverId: string): Promise<Map<string, unknown>> {
    const prefix = progressPrefix(receiverId);
    const saved = new Map<string, unknown>();
    // '0' follows '/': the range holds exactly the keys under `<receiver>/`.
    for await (const [key, value] of this.store.meta.iterator({
      gte: prefix,
      lt: `${prefix.slice(0, -1)}0`,
    })) {
      saved.set(key.slice(prefix.length), value);
    }
    return saved;
  }

  /** Redeliveries dropped per receiver since start. */
  redeliveriesDropped(id: string): number {
    return this.filters.get(id)?.dropped ?? 0;
  }

  /** How many records wait for a batch. */
  get pendingCount(): number {
    return this.pendingRecords + this.bufferRecords.length;
  }

  /** True while deliver() is holding receivers back. */
  get backpressured(): boolean {
    return this.roomWaiters.length > 0;
  }

  /** Decodes messages and makes them durable, with the receiver's progress if given; see ReceiverHost.deliver. */
  async deliver(
    receiverId: string,
    messages: readonly RawMessage[],
    options: DeliverOptions = {},
  ): Promise<void> {
    if (this.closed) throw new SluiceError('SLUICE_INTERNAL', 'the intake is closed');
    const build = this.builders.get(receiverId);
    const counters = this.counters.get(receiverId);
    const filter = this.filters.get(receiverId);
    if (build === undefined || counters === undefined || filter === undefined) {
      throw new SluiceError('SLUICE_INTERNAL', `unknown receiver ${receiverId}`);
    }
    // A delivery that carries progress is written whole, in one write with its progress: it waits until there
    // is room for all of it (unless it is larger than the bound, when its progress goes with its last part).
    const progress = options.progress ?? [];
    if (progress.length > 0 && messages.length <= this.maxPending) {
      while (this.pendingCount + messages.length > this.maxPending) {
        await new Promise<void>((r) => this.roomWaiters.push(r));
        if (this.isClosed()) throw new SluiceError('SLUICE_INTERNAL', 'the intake is closed');
      }
    }
    // The bound holds per record: a long delivery fills the room there is, has that part written (so the
    // driver can cut it and make room), and waits for more. It resolves once all of it is durable.
    const parts: Promise<void>[] = [];
    const jsonPayload = build.jsonPayload === true;
    for (const message of messages) {
      if (this.pendingCount >= this.maxPending) {
        if (this.buffer.length > 0 || this.bufferRecords.length > 0) parts.push(this.sealPart());
        while (this.pendingCount >= this.maxPending) {
          await new Promise<void>((r) => this.roomWaiters.push(r));
        }
        if (this.isClosed()) throw new SluiceError('SLUICE_INTERNAL', 'the intake is closed');
      }
      if (filter.admit(message)) continue; // a redelivery of a message held already
      const built = build(message);
      if (built.ok && built.record === null) continue; // no record and no error: a CSV header line
      if (built.ok) {
        if (this.bufferRecords.length === 0) this.bufferFirstSeq = this.nextSeq;
        this.nextSeq++;
        this.bufferRecords.push(built.record);
        this.walWriter.add(built.record, jsonPayload ? message.payload : undefined);
        counters.records++;
        counters.lastRecordMs = message.arrivalMs;
      } else {
        const letter: DeadLetter = deadLetter(receiverId, message, built.reason);
        this.buffer.push({
          type: 'put',
          sublevel: this.store.dead,
          key: seqKey(this.deadSeq++),
          value: letter,
        });
        counters.deadLetters++;
      }
    }
    // In the same buffer as the last records, so in the same atomic write: a crash keeps both or neither.
    for (const [key, value] of progress) {
      const metaKey = `${progressPrefix(receiverId)}${key}`;
      this.buffer.push(
        value === null
          ? { type: 'del', sublevel: this.store.meta, key: metaKey }
          : { type: 'put', sublevel: this.store.meta, key: metaKey, value },
      );
    }
    parts.push(this.sealPart());
    await Promise.all(parts);
  }

  /** A promise that what is buffered now is durable, and a write queued for it. */
  private sealPart(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.bufferWaiters.push({ resolve, reject }));
    this.queueFlush();
    return done;
  }

  /** Waits until everything delivered so far is durable (or failed). */
  async drain(): Promise<void> {
    await this.flushing;
  }

  /** `closed`, read after an await (a method, so that no earlier check narrows it). */
  private isClosed(): boolean {
    return this.closed;
  }

  /** Takes every durable record not yet in a batch, for the batch being cut. The batch holds exactly the WAL
   * records with sequence numbers in (fromSeq, toSeq]; records still in a group commit go to the next one. */
  cut(): { records: IngestRecord[]; fromSeq: number; toSeq: number; walKeys: string[] } {
    const taken = this.pending;
    this.pending = [];
    this.pendingRecords = 0;
    const fromSeq = this.lastCutSeq;
    this.lastCutSeq = taken.at(-1)?.toSeq ?? fromSeq;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
    // A plain loop: flatMap goes through its generic path element by element (a second's records took ~10 ms).
    let records: IngestRecord[];
    if (taken.length === 1) records = (taken[0] as PendingGroup).records;
    else {
      records = [];
      for (const g of taken) for (const r of g.records) records.push(r);
    }
    return { records, fromSeq, toSeq: this.lastCutSeq, walKeys: taken.map((g) => g.key) };
  }

  /** Key for the next dead letter (shared by the intake's decoding failures and pipelines' rejections). */
  nextDeadKey(): string {
    return seqKey(this.deadSeq++);
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    for (const wake of this.roomWaiters) wake();
    this.roomWaiters = [];
  }

  /**
   * Queues one write for what is buffered, unless one is queued already. Queued behind the write in progress, it
   * starts the moment that one ends and takes everything that arrived meanwhile; with none in progress, it starts
   * on the next turn of the event loop (after flushDelayMs), so a burst read from one socket chunk goes together.
   * Writes never overlap, so WAL order is deliver() order.
   */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    const delay = this.flushDelayMs;
    this.flushing = this.flushing
      .then(() => new Promise<void>((r) => (delay > 0 ? setTimeout(r, delay) : setImmediate(r))))
      .then(() => {
        this.flushQueued = false;
        return this.flush();
      });
  }

  /** Writes the buffer in one atomic write; never rejects (failures reject exactly this write's waiters). */
  private async flush(): Promise<void> {
    const ops = this.buffer;
    const records = this.bufferRecords;
    const firstSeq = this.bufferFirstSeq;
    const waiters = this.bufferWaiters;
    const wal = this.walWriter;
    this.buffer = [];
    this.bufferRecords = [];
    this.bufferWaiters = [];
    // Sized like this entry: the next write of a steady stream needs about as much.
    this.walWriter = new WalWriter(wal.bytes + (wal.bytes >> 2));
    if (waiters.length === 0) return;
    const walKey = seqKey(firstSeq);
    if (records.length > 0) {
      ops.push({ type: 'put', sublevel: this.store.wal, key: walKey, value: wal.finish() });
    }
    // Each filter's staged fingerprints are exactly this write's messages' (deliveries during the write stage
    // theirs for the next one): commit or discard only these.
    const dirty: [RedeliveryFilter, FilterWrite][] = [];
    for (const f of this.filters.values()) {
      if (!f.dirty) continue;
      const plan = f.planWrite();
      dirty.push([f, plan]);
      const fingerprints = encodeFingerprints(plan.put.fingerprints);
      ops.push({ type: 'put', sublevel: this.store.meta, key: plan.put.key, value: fingerprints });
      for (const key of plan.del) ops.push({ type: 'del', sublevel: this.store.meta, key });
    }
    try {
      await this.store.write(ops);
    } catch (err) {
      for (const [f, plan] of dirty) f.discard(plan);
      this.lastError = err instanceof SluiceError ? err : new SluiceError('SLUICE_STATE_IO', String(err));
      for (const w of waiters) w.reject(this.lastError);
      return;
    }
    for (const [f, plan] of dirty) f.commit(plan);
    this.lastError = undefined;
    if (records.length > 0) {
      this.pending.push({ key: walKey, toSeq: firstSeq + records.length - 1, records });
      this.pendingRecords += records.length;
    }
    for (const w of waiters) w.resolve();
  }
}
