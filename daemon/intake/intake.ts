// The intake: decodes receivers' messages into records, writes them to the write-ahead log in group commits (one
// LevelDB write per few milliseconds of messages, not one per message), and holds them until the driver cuts
// them into a batch. deliver() resolves only once a message is durable, which is when receivers acknowledge.
// The number of records waiting for a batch is bounded: when full, deliver() waits (backpressure).
import type { RawMessage } from '../../connectors/types.js';
import { SluiceError } from '../errors.js';
import type { BatchOp, Store } from '../store/store.js';
import { seqKey } from '../store/keys.js';
import { deadLetter, type DeadLetter } from './dead-letter.js';
import type { BuildResult, IngestRecord } from './record.js';
import { RedeliveryFilter } from './redelivery-filter.js';

/** Meta key prefix of each receiver's redelivery filter. */
export const REDELIVERY = 'redelivery/';

export interface IntakeOptions {
  /** Records received but not yet in a batch before deliver() waits (default 100 000). */
  maxPending?: number;
  /** Longest a message waits for its group commit, ms (default 2). */
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

export class Intake {
  private readonly maxPending: number;
  private readonly flushDelayMs: number;
  private nextSeq = 1;
  private deadSeq = 1;
  private lastCutSeq = 0;
  private pending: { seq: number; record: IngestRecord }[] = [];
  private buffer: BatchOp[] = [];
  private bufferRecords: { seq: number; record: IngestRecord }[] = [];
  private bufferWaiters: Waiter[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private roomWaiters: (() => void)[] = [];
  private readonly builders = new Map<string, (m: RawMessage) => BuildResult>();
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
    this.flushDelayMs = options.flushDelayMs ?? 2;
  }

  /** Registers how a receiver's messages become records. */
  addReceiver(id: string, build: (m: RawMessage) => BuildResult): void {
    this.builders.set(id, build);
    this.filters.set(id, new RedeliveryFilter());
    this.counters.set(id, { records: 0, deadLetters: 0, lastRecordMs: null });
  }

  /** Continues sequence numbers after those already used, and takes back records not yet committed. */
  resume(
    lastSeq: number,
    lastCutSeq: number,
    uncommitted: readonly { seq: number; record: IngestRecord }[],
    lastDeadSeq: number,
  ): void {
    this.nextSeq = lastSeq + 1;
    this.lastCutSeq = lastCutSeq;
    this.deadSeq = lastDeadSeq + 1;
    this.pending = uncommitted.slice();
  }

  /** Restores a receiver's redelivery filter from what the store holds. */
  restoreRedeliveries(id: string, fingerprints: readonly string[]): void {
    this.filters.get(id)?.restore(fingerprints);
  }

  /** Redeliveries dropped per receiver since start. */
  redeliveriesDropped(id: string): number {
    return this.filters.get(id)?.dropped ?? 0;
  }

  /** How many records wait for a batch. */
  get pendingCount(): number {
    return this.pending.length + this.bufferRecords.length;
  }

  /** True while deliver() is holding receivers back. */
  get backpressured(): boolean {
    return this.roomWaiters.length > 0;
  }

  /** Decodes messages and makes them durable; see ReceiverHost.deliver. */
  async deliver(receiverId: string, messages: readonly RawMessage[]): Promise<void> {
    if (this.closed) throw new SluiceError('SLUICE_INTERNAL', 'the intake is closed');
    const build = this.builders.get(receiverId);
    const counters = this.counters.get(receiverId);
    const filter = this.filters.get(receiverId);
    if (build === undefined || counters === undefined || filter === undefined) {
      throw new SluiceError('SLUICE_INTERNAL', `unknown receiver ${receiverId}`);
    }
    while (this.pendingCount >= this.maxPending) await new Promise<void>((r) => this.roomWaiters.push(r));
    for (const message of messages) {
      const fingerprint = filter.fingerprint(message);
      if (filter.isDuplicate(message, fingerprint)) {
        filter.dropped++;
        continue;
      }
      if (fingerprint !== undefined) filter.stage(fingerprint);
      process.stderr.write(`DUPMISS ${fingerprint} ${message.payload.toString()}\n`);
      const built = build(message);
      if (built.ok) {
        const seq = this.nextSeq++;
        this.buffer.push({ type: 'put', sublevel: this.store.wal, key: seqKey(seq), value: built.record });
        this.bufferRecords.push({ seq, record: built.record });
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
    const done = new Promise<void>((resolve, reject) => this.bufferWaiters.push({ resolve, reject }));
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, this.flushDelayMs);
    return done;
  }

  /** Waits until everything delivered so far is durable (or failed). */
  async drain(): Promise<void> {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
  }

  /** Takes every durable record not yet in a batch, for the batch being cut. The batch holds exactly the WAL
   * records with sequence numbers in (fromSeq, toSeq]; records still in a group commit go to the next one. */
  cut(): { records: IngestRecord[]; fromSeq: number; toSeq: number } {
    const taken = this.pending;
    this.pending = [];
    const fromSeq = this.lastCutSeq;
    this.lastCutSeq = taken.at(-1)?.seq ?? fromSeq;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
    return { records: taken.map((p) => p.record), fromSeq, toSeq: this.lastCutSeq };
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

  private async flush(): Promise<void> {
    const ops = this.buffer;
    const records = this.bufferRecords;
    const waiters = this.bufferWaiters;
    this.buffer = [];
    this.bufferRecords = [];
    this.bufferWaiters = [];
    if (waiters.length === 0) return;
    const dirty = [...this.filters].filter(([, f]) => f.dirty);
    for (const [id, f] of dirty) {
      ops.push({ type: 'put', sublevel: this.store.meta, key: `${REDELIVERY}${id}`, value: f.snapshot() });
    }
    try {
      await this.store.write(ops);
    } catch (err) {
      for (const [, f] of dirty) f.discard();
      this.lastError = err instanceof SluiceError ? err : new SluiceError('SLUICE_STATE_IO', String(err));
      for (const w of waiters) w.reject(this.lastError);
      return;
    }
    for (const [, f] of dirty) f.commit();
    this.lastError = undefined;
    for (const r of records) this.pending.push(r);
    for (const w of waiters) w.resolve();
  }
}
