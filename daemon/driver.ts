// The driver: cuts a batch every interval from the write-ahead log, runs the pipeline graph on it, and commits
// the outputs (into each sink's outbox) with the batch's cut in one atomic write. Every `checkpointEvery`
// batches (and at shutdown) the commit also holds the engine's state and removes the input it covers from the
// WAL. On start it recovers: restores the checkpoint and replays the batches cut after it, record for record.
import type { OutboxEntry } from '../connectors/types.js';
import type { Checkpoint } from '../operators/index.js';
import { SluiceError } from './errors.js';
import type { Intake } from './intake/intake.js';
import type { OutboxSet } from './outbox.js';
import { deadLetter } from './intake/dead-letter.js';
import type { IngestRecord } from './intake/record.js';
import { decodeWalEntry, type WalGroup } from './intake/wal.js';
import type { CompiledGraph } from './pipelines/compile.js';
import { outboxKey, parseSeqKey, seqKey } from './store/keys.js';
import type { BatchOp, Store } from './store/store.js';
import type { Logger } from '../connectors/types.js';

export interface DriverOptions {
  /** Write the engine state every this many batches (default 10, as Spark checkpoints stateful streams). */
  checkpointEvery?: number;
  /** How many batch statistics to keep (default 100). */
  statsKept?: number;
  /** The wall clock, epoch ms (default Date.now). */
  now?: () => number;
  /** A clock that never steps, ms (default performance.now, or `now` when only that is given): tells the wall
   * clock's steps from the passing of time. */
  monotonic?: () => number;
  /** Called when a batch fails in a way retrying cannot fix (a bug); default: log only. */
  onFatal?: (err: unknown) => void;
}

export interface BatchStats {
  batchTimeMs: number;
  records: number;
  outputs: number;
  /** From the batch time to the start of its processing, ms (Spark's scheduling delay). */
  schedulingDelayMs: number;
  processingMs: number;
  /** Scheduling delay + processing time, ms. */
  totalDelayMs: number;
}

export interface RecoveryReport {
  checkpointBatchMs: number | null;
  replayedBatches: number;
  replayedRecords: number;
  uncommittedRecords: number;
  freshOperators: string[];
  incompatibleOperators: string[];
}

interface SavedCheckpoint {
  engine: Checkpoint;
  /** Highest WAL sequence number whose record the engine state includes. */
  toSeq: number;
}

/** One record of the WAL, with the key of the entry (the group commit) that holds it. */
interface WalEntry {
  seq: number;
  key: string;
  record: IngestRecord;
}

interface Origin {
  zeroTimeMs: number;
  batchIntervalMs: number;
}

const CHECKPOINT = 'checkpoint';
const ORIGIN = 'origin';
const CUT = 'cut/';
/** Longest the batch timer sleeps before it reads the clock again. */
const MAX_TIMER_MS = 60_000;

export class Driver {
  private readonly checkpointEvery: number;
  private readonly statsKept: number;
  private readonly wall: () => number;
  private readonly monotonic: () => number;
  /** The batch clock's state (see now()). */
  private clockOffset = 0;
  private lastWall = Number.NaN;
  private lastMonotonic = Number.NaN;
  private lastClock = Number.NEGATIVE_INFINITY;
  private readonly onFatal: (err: unknown) => void;
  private readonly interval: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopping = false;
  private sinceCheckpoint = 0;
  /** WAL keys and cut keys committed since the last checkpoint: deleted by the next one. */
  private walKeysSinceCheckpoint: string[] = [];
  private cutKeysSinceCheckpoint: string[] = [];
  private lastToSeq = 0;
  readonly stats: BatchStats[] = [];
  private readonly commitListeners: ((sinks: ReadonlySet<string>) => void)[] = [];
  /** The commit failure being retried (a full disk), or undefined. */
  lastError: SluiceError | undefined;
  /** The sinks' outboxes with their bounds; without them outputs go into the outboxes unbounded. */
  private outboxes: OutboxSet | undefined;

  constructor(
    private readonly store: Store,
    private readonly intake: Intake,
    private readonly graph: CompiledGraph,
    private readonly log: Logger,
    options: DriverOptions = {},
  ) {
    this.checkpointEvery = options.checkpointEvery ?? 10;
    this.statsKept = options.statsKept ?? 100;
    this.wall = options.now ?? Date.now;
    this.monotonic = options.monotonic ?? options.now ?? (() => performance.now());
    this.onFatal = options.onFatal ?? (() => undefined);
    this.interval = graph.ctx.batchIntervalMs;
  }

  /** Called after each commit with the sinks that got new outbox entries. */
  onCommit(listener: (sinks: ReadonlySet<string>) => void): void {
    this.commitListeners.push(listener);
  }

  /** Applies the outboxes' bounds and overflow policies to every batch committed from now on. */
  useOutboxes(outboxes: OutboxSet): void {
    this.outboxes = outboxes;
  }

  /** Restores state and replays what was cut but not checkpointed; hands uncommitted WAL records to the intake. */
  async recover(): Promise<RecoveryReport> {
    const ctx = this.graph.ctx;
    const saved = (await this.store.meta.get(CHECKPOINT)) as SavedCheckpoint | undefined;
    const origin = (await this.store.meta.get(ORIGIN)) as Origin | undefined;
    const cuts: { t: number; toSeq: number; key: string }[] = [];
    for await (const [key, value] of this.store.meta.iterator({ gte: CUT, lt: `${CUT}~` })) {
      cuts.push({ t: parseSeqKey(key.slice(CUT.length)), toSeq: value as number, key });
    }
    const wal: WalEntry[] = [];
    for await (const [key, value] of this.store.wal.iterator()) {
      const group = decodeWalEntry(key, parseSeqKey(key), value);
      group.records.forEach((record, i) => wal.push({ seq: group.firstSeq + i, key, record }));
    }
    await this.intake.restoreRedeliveries();
    let lastDead = 0;
    for await (const key of this.store.dead.keys({ reverse: true, limit: 1 })) lastDead = parseSeqKey(key);

    const report: RecoveryReport = {
      checkpointBatchMs: null,
      replayedBatches: 0,
      replayedRecords: 0,
      uncommittedRecords: 0,
      freshOperators: [],
      incompatibleOperators: [],
    };
    const compatible = origin === undefined || origin.batchIntervalMs === this.interval;
    if (!compatible) {
      this.log.warn(
        { was: origin.batchIntervalMs, now: this.interval },
        'batch interval changed: pipeline state starts fresh; unprocessed input is kept',
      );
    }
    let toSeq = saved?.toSeq ?? 0;
    if (compatible && saved !== undefined) {
      const restored = ctx.restore(saved.engine);
      report.checkpointBatchMs = saved.engine.batchTimeMs;
      report.freshOperators = restored.fresh;
      report.incompatibleOperators = restored.incompatible;
      for (const name of restored.incompatible) {
        this.log.warn({ operator: name }, 'pipeline changed incompatibly: its state starts fresh');
      }
    } else if (saved !== undefined) {
      // A new batch interval: every operator that had state loses it, and the report must say so.
      report.incompatibleOperators = ctx
        .graph()
        .filter((s) => s.state !== undefined && Object.hasOwn(saved.engine.operators, s.name))
        .map((s) => s.name);
    }
    if (ctx.lastBatchTime() === undefined) {
      // Starting a new timeline (first start, or a new batch interval): its batches must come after every batch
      // of the old one, whose outputs may still wait in the outboxes under keys made of their batch times.
      const lastOld = Math.max(saved?.engine.batchTimeMs ?? -Infinity, cuts.at(-1)?.t ?? -Infinity);
      const after = Number.isFinite(lastOld) ? Math.ceil(lastOld / this.interval) * this.interval : -Infinity;
      const zero =
        compatible && origin !== undefined
          ? origin.zeroTimeMs
          : Math.max(this.alignedNow() - this.interval, after);
      ctx.start({ zeroTimeMs: zero });
    } else {
      ctx.start();
    }
    const ops: BatchOp[] = [];
    if (!compatible || origin === undefined) {
      ops.push({ type: 'put', sublevel: this.store.meta, key: ORIGIN, value: this.origin() });
    }

    // Replay the batches cut after the checkpoint, with exactly the records they had, and put their outputs
    // back into the outboxes under the same keys (an output already sent goes again, with the same id).
    let w = wal.findIndex((e) => e.seq > toSeq);
    if (w < 0) w = wal.length;
    const touched = new Set<string>();
    for (const cut of compatible ? cuts : []) {
      if (cut.t <= (ctx.lastBatchTime() ?? Number.NEGATIVE_INFINITY)) continue;
      const records: IngestRecord[] = [];
      for (; w < wal.length && (wal[w] as WalEntry).seq <= cut.toSeq; w++)
        records.push((wal[w] as WalEntry).record);
      while (ctx.nextBatchTime() <= cut.t) {
        const t = ctx.nextBatchTime();
        const outputs = await this.runEngine(t === cut.t ? records : []);
        for (const [sink, entries] of outputs) {
          const outbox = this.store.outbox(sink);
          for (const [i, entry] of entries.entries()) {
            // An entry still waiting is the one committed before the crash: keep it. The replay gives the same
            // one unless the pipeline changed incompatibly meanwhile, and then the committed one must not be lost.
            const key = outboxKey(t, i);
            if ((await outbox.get(key)) === undefined)
              ops.push({ type: 'put', sublevel: outbox, key, value: entry });
          }
          touched.add(sink);
        }
      }
      report.replayedBatches++;
      report.replayedRecords += records.length;
      toSeq = cut.toSeq;
    }
    // The rest of the WAL was never part of a batch: it goes into the next one, entry by entry.
    const uncommitted: WalGroup[] = [];
    for (const e of wal.slice(w)) {
      const last = uncommitted.at(-1);
      if (last?.key === e.key) last.records.push(e.record);
      else uncommitted.push({ key: e.key, firstSeq: e.seq, records: [e.record] });
    }
    report.uncommittedRecords = wal.length - w;
    const lastSeq = Math.max(toSeq, wal.at(-1)?.seq ?? 0, cuts.at(-1)?.toSeq ?? 0);
    this.intake.resume(lastSeq, toSeq, uncommitted, lastDead);
    this.lastToSeq = toSeq;
    // A wall clock behind the last batch (a gateway without RTC after a power loss) must not hold batches back.
    this.lastClock = Math.max(this.lastClock, ctx.lastBatchTime() ?? Number.NEGATIVE_INFINITY);
    // Everything replayed is now in a checkpoint: drop the WAL entries and cuts it covers. (An entry that also
    // holds uncommitted records, which a cut never makes, would go with the batch that takes them.)
    const kept = new Set(uncommitted.map((g) => g.key));
    const covered = new Set(wal.slice(0, w).map((e) => e.key));
    for (const key of covered) if (!kept.has(key)) ops.push({ type: 'del', sublevel: this.store.wal, key });
    for (const cut of cuts) ops.push({ type: 'del', sublevel: this.store.meta, key: cut.key });
    if (ctx.lastBatchTime() !== undefined) {
      ops.push({ type: 'put', sublevel: this.store.meta, key: CHECKPOINT, value: this.checkpoint(toSeq) });
    }
    // A replayed batch rejects what it rejected before the crash, and those dead letters were committed with
    // its cut: writing them again would keep each one twice.
    this.graph.takeRejected();
    await this.store.write(ops);
    if (touched.size > 0) this.notify(touched);
    return report;
  }

  /** Runs batches on the wall clock until stop(). */
  start(): void {
    this.stopping = false;
    this.schedule();
  }

  /** Finishes the batch in progress, writes a checkpoint, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.sinceCheckpoint > 0) await this.commitWithRetry([], true);
  }

  private schedule(): void {
    if (this.stopping) return;
    const next = this.graph.ctx.nextBatchTime();
    // Capped: a wall clock far behind the last batch (a gateway without RTC after a power loss) would ask for
    // more than setTimeout's 2^31-1 ms, which Node turns into 1 ms: a busy loop with a warning per turn.
    const delay = Math.min(Math.max(0, next - this.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick().then(
        () => {
          this.schedule();
        },
        (err: unknown) => {
          this.log.error({ err }, 'batch failed; the daemon stops');
          this.onFatal(err);
        },
      );
    }, delay);
  }

  /** Runs every batch that is due (one normally; several when catching up after a pause). */
  private async tick(): Promise<void> {
    const ctx = this.graph.ctx;
    let idle = 0;
    const drainBatches = Math.ceil(this.graph.longestWindowMs / this.interval) + 1;
    while (!this.stopping && ctx.nextBatchTime() <= this.now()) {
      // After a long pause, run empty batches only until every window has drained, then jump ahead.
      if (idle >= drainBatches && this.intake.pendingCount === 0) {
        const target = this.alignedNow() - this.interval;
        if (target > ctx.nextBatchTime()) {
          // The checkpoint records the jump, so a replay never runs the skipped batches.
          ctx.skipTo(target);
          await this.commitWithRetry([], true);
        }
        idle = 0;
        continue;
      }
      const records = await this.runBatch();
      idle = records === 0 ? idle + 1 : 0;
    }
  }

  private async runBatch(): Promise<number> {
    const ctx = this.graph.ctx;
    const t = ctx.nextBatchTime();
    const started = this.now();
    const { records, toSeq, walKeys } = this.intake.cut();
    const outputs = await this.runEngine(records);
    const ops: BatchOp[] = [];
    const admitted = await this.outboxes?.plan(t, outputs);
    let count: number;
    if (admitted === undefined) count = this.outputsToOps(t, outputs, ops);
    else {
      ops.push(...admitted.ops);
      count = admitted.added;
    }
    const cutKey = `${CUT}${seqKey(t)}`;
    ops.push({ type: 'put', sublevel: this.store.meta, key: cutKey, value: toSeq });
    this.rejectedToOps(ops);
    for (const key of walKeys) this.walKeysSinceCheckpoint.push(key);
    this.cutKeysSinceCheckpoint.push(cutKey);
    this.lastToSeq = toSeq;
    this.sinceCheckpoint++;
    try {
      await this.commitWithRetry(ops, this.sinceCheckpoint >= this.checkpointEvery);
    } catch (err) {
      admitted?.release();
      throw err;
    }
    await admitted?.committed();
    const finished = this.now();
    this.stats.push({
      batchTimeMs: t,
      records: records.length,
      outputs: count,
      schedulingDelayMs: Math.max(0, started - t),
      processingMs: finished - started,
      totalDelayMs: Math.max(0, finished - t),
    });
    if (this.stats.length > this.statsKept) this.stats.shift();
    if (outputs.size > 0) {
      this.log.info({ batch: t, records: records.length, outputs: count }, 'window results committed');
      this.notify(new Set(outputs.keys()));
    }
    return records.length;
  }

  /** Outbox puts for a batch's outputs, keyed by batch time and position; returns how many. */
  private outputsToOps(t: number, outputs: Map<string, OutboxEntry[]>, ops: BatchOp[]): number {
    let count = 0;
    for (const [sink, entries] of outputs) {
      entries.forEach((entry, i) => {
        ops.push({ type: 'put', sublevel: this.store.outbox(sink), key: outboxKey(t, i), value: entry });
      });
      count += entries.length;
    }
    return count;
  }

  private async runEngine(records: readonly IngestRecord[]): Promise<Map<string, OutboxEntry[]>> {
    this.graph.feed(records);
    await this.graph.ctx.runBatch(this.graph.ctx.nextBatchTime());
    return this.graph.takeOutputs();
  }

  /** Writes ops (plus a checkpoint when asked); while the store refuses (a full disk), retries every second. */
  private async commitWithRetry(ops: BatchOp[], withCheckpoint: boolean): Promise<void> {
    if (withCheckpoint) {
      ops.push({
        type: 'put',
        sublevel: this.store.meta,
        key: CHECKPOINT,
        value: this.checkpoint(this.lastToSeq),
      });
      for (const key of this.walKeysSinceCheckpoint) ops.push({ type: 'del', sublevel: this.store.wal, key });
      for (const key of this.cutKeysSinceCheckpoint)
        ops.push({ type: 'del', sublevel: this.store.meta, key });
    }
    for (;;) {
      try {
        await this.store.write(ops);
        break;
      } catch (err) {
        this.lastError = err instanceof SluiceError ? err : new SluiceError('SLUICE_STATE_IO', String(err));
        this.log.error({ err }, 'commit failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    this.lastError = undefined;
    if (withCheckpoint) {
      this.walKeysSinceCheckpoint = [];
      this.cutKeysSinceCheckpoint = [];
      this.sinceCheckpoint = 0;
    }
  }

  private checkpoint(toSeq: number): SavedCheckpoint {
    return { engine: this.graph.ctx.checkpoint(), toSeq };
  }

  private origin(): Origin {
    return { zeroTimeMs: this.graph.ctx.zeroTime(), batchIntervalMs: this.interval };
  }

  private rejectedToOps(ops: BatchOp[]): void {
    for (const r of this.graph.takeRejected()) {
      const letter = deadLetter(
        r.record.receiver,
        {
          payload: Buffer.from(JSON.stringify(r.record.fields)),
          topic: r.record.topic,
          arrivalMs: r.record.arrivalMs,
        },
        `pipeline ${r.pipeline}: ${r.reason}`,
      );
      ops.push({ type: 'put', sublevel: this.store.dead, key: this.intake.nextDeadKey(), value: letter });
    }
  }

  private notify(sinks: ReadonlySet<string>): void {
    for (const listener of this.commitListeners) listener(sinks);
  }

  /**
   * The batch clock: the wall clock, except that it never goes back. When the wall clock steps back (NTP
   * correcting a clock that ran ahead; a restart with a clock behind the last batch), the batch clock carries
   * on from where it was at the wall clock's pace, ahead of it by the step, so batches keep their cadence and
   * never reuse a batch time (whose outbox keys may still hold outputs). A later forward step of the wall clock
   * (measured against the monotonic clock) takes that lead back first; past it, the batch clock jumps too.
   */
  private now(): number {
    const wall = this.wall();
    const mono = this.monotonic();
    const step = wall - this.lastWall - (mono - this.lastMonotonic);
    if (step > 0 && this.clockOffset > 0) this.clockOffset = Math.max(0, this.clockOffset - step);
    let clock = wall + this.clockOffset;
    if (clock < this.lastClock) {
      if (this.lastClock - clock > this.interval) {
        this.log.warn(
          { behindMs: this.lastClock - clock },
          'wall clock went back: batches keep their own time',
        );
      }
      this.clockOffset += this.lastClock - clock;
      clock = this.lastClock;
    }
    this.lastWall = wall;
    this.lastMonotonic = mono;
    this.lastClock = clock;
    return clock;
  }

  private alignedNow(): number {
    return Math.floor(this.now() / this.interval) * this.interval;
  }
}
