// StreamingContext: the graph of DStreams, the batch interval and the batch loop. Time is injected: a context
// reads its clock once, at start, and a batch runs only when runBatch/runBatches is called.
import type { Clock } from './clock.js';
import { ManualClock } from './clock.js';
import { DStream, type Batch } from './dstream.js';
import { EngineError } from './engine-error.js';
import { queueStream, type QueueStreamOptions } from './inputs/queue-stream.js';
import {
  restoreCheckpoint,
  takeCheckpoint,
  type Checkpoint,
  type RestoreReport,
} from './state/checkpoint.js';

export interface StreamingContextOptions {
  /** Batch interval in milliseconds (required, positive integer). */
  batchIntervalMs: number;
  /** Read once at start to place the zero time; default: a ManualClock at 0. */
  clock?: Clock;
  /** Keep every stream's generated batches at least this long (Spark's ssc.remember); default: one slide. */
  rememberMs?: number;
}

export interface StartOptions {
  /** Zero time of the graph (batches come at zero + k·interval). Default: the clock's time rounded down to a
   * batch interval, as Spark does; pass 0 to align every window to the epoch. */
  zeroTimeMs?: number;
}

type OutputFn = (items: readonly unknown[], timeMs: number) => void | Promise<void>;
type Lifecycle = 'initialized' | 'active' | 'stopped';

export class StreamingContext {
  readonly batchIntervalMs: number;
  readonly clock: Clock;
  private readonly rememberMs: number;
  private lifecycle: Lifecycle = 'initialized';
  private zeroTimeMs: number | undefined;
  private lastBatchMs: number | undefined;
  private readonly streams: DStream<unknown>[] = [];
  private readonly outputs: { stream: DStream<unknown>; fn: OutputFn }[] = [];
  private readonly names = new Map<string, DStream<unknown>>();
  private readonly kindCounters = new Map<string, number>();

  constructor(options: StreamingContextOptions) {
    const { batchIntervalMs } = options;
    if (!Number.isInteger(batchIntervalMs) || batchIntervalMs <= 0) {
      throw new EngineError(
        'SLUICE_ENGINE_INVALID_DURATION',
        `batchIntervalMs must be a positive whole number of milliseconds, got ${String(batchIntervalMs)}`,
        'use for example batchIntervalMs: 1000',
      );
    }
    this.batchIntervalMs = batchIntervalMs;
    this.clock = options.clock ?? new ManualClock();
    this.rememberMs = options.rememberMs ?? 0;
  }

  // ---- graph ------------------------------------------------------------------------------------------------

  /** Internal: called by every DStream's constructor; returns its default name (kind-N, counted per kind). */
  register(stream: DStream<unknown>): string {
    if (this.lifecycle !== 'initialized') {
      throw new EngineError(
        'SLUICE_ENGINE_LIFECYCLE',
        `cannot add a ${stream.kind} stream to a context that is ${this.lifecycle}`,
        'build the whole graph before start() or the first runBatches()',
      );
    }
    const n = (this.kindCounters.get(stream.kind) ?? 0) + 1;
    this.kindCounters.set(stream.kind, n);
    this.streams.push(stream);
    let name = `${stream.kind}-${n}`;
    while (this.names.has(name)) name += "'";
    this.names.set(name, stream);
    return name;
  }

  /** Internal: DStream.named(). */
  rename(stream: DStream<unknown>, name: string): void {
    if (this.lifecycle !== 'initialized') {
      throw new EngineError('SLUICE_ENGINE_LIFECYCLE', `cannot rename "${stream.name}" after start`);
    }
    const holder = this.names.get(name);
    if (holder !== undefined && holder !== stream) {
      throw new EngineError(
        'SLUICE_ENGINE_DUPLICATE_NAME',
        `two streams are named "${name}"`,
        'stream names key checkpointed state and metrics: give each a unique name',
      );
    }
    this.names.delete(stream.name);
    this.names.set(name, stream);
  }

  /** Internal: DStream.foreachBatch(). */
  registerOutput(stream: DStream<unknown>, fn: OutputFn): void {
    if (this.lifecycle !== 'initialized') {
      throw new EngineError('SLUICE_ENGINE_LIFECYCLE', 'cannot add an output after start');
    }
    this.outputs.push({ stream, fn });
  }

  /** A stream fed from memory, as Spark's queueStream: batch i (0-based) comes at zero + (i+1)·interval. */
  queueStream<T>(batches: readonly (readonly T[] | null)[], options: QueueStreamOptions<T> = {}): DStream<T> {
    return queueStream(this, batches, options);
  }

  /** A stream whose batch at each batch time is whatever compute returns (null: no batch). The daemon's
   * driver feeds write-ahead-log records through one of these. */
  inputStream<T>(compute: (timeMs: number) => Batch<T>, kind = 'input'): DStream<T> {
    return new DStream<T>(this, kind, [], this.batchIntervalMs, compute);
  }

  /** Concatenation of the streams' batches, in order. Every stream must produce a batch at each time. */
  union<T>(streams: readonly DStream<T>[]): DStream<T> {
    return this.transform(streams, (batches) => (batches as (readonly T[])[]).flat(), 'union');
  }

  /** A batch function over several streams of the same slide; each must produce a batch at each time. */
  transform<U>(
    streams: readonly DStream<unknown>[],
    f: (batches: (readonly unknown[])[], timeMs: number) => readonly U[],
    kind = 'transform',
  ): DStream<U> {
    const [first] = streams;
    if (first === undefined) {
      throw new EngineError('SLUICE_ENGINE_LIFECYCLE', `${kind} needs at least one stream`);
    }
    for (const s of streams) {
      if (s.slideMs !== first.slideMs) {
        throw new EngineError(
          'SLUICE_ENGINE_INVALID_DURATION',
          `${kind} of streams with different slides (${first.name}: ${first.slideMs} ms, ${s.name}: ${s.slideMs} ms)`,
          'window the streams to the same slide first',
        );
      }
    }
    return new DStream<U>(this, kind, streams, first.slideMs, (t) => {
      const batches = streams.map((s) => {
        const b = s.getOrCompute(t);
        if (b === null) {
          throw new EngineError(
            'SLUICE_ENGINE_MISSING_BATCH',
            `${kind} at ${t}: stream "${s.name}" produced no batch`,
            'every parent of a union, join or transform must produce a batch at the same time',
          );
        }
        return b;
      });
      const result = f(batches, t) as readonly U[] | null | undefined;
      if (result === null || result === undefined) {
        throw new EngineError(
          'SLUICE_ENGINE_NULL_TRANSFORM',
          `${kind} at ${t}: the function returned ${String(result)}`,
          'return an array (an empty one for no records)',
        );
      }
      return result;
    });
  }

  // ---- running ----------------------------------------------------------------------------------------------

  /** The zero time; batches come at zero + k·interval, k ≥ 1. Throws before start. */
  zeroTime(): number {
    if (this.zeroTimeMs === undefined) {
      throw new EngineError('SLUICE_ENGINE_LIFECYCLE', 'the context has not started', 'call start() first');
    }
    return this.zeroTimeMs;
  }

  /** Time of the last batch run (or restored), or undefined. */
  lastBatchTime(): number | undefined {
    return this.lastBatchMs;
  }

  /** How many streams and outputs read `stream`'s batches (final once the context has started). */
  readers(stream: DStream<unknown>): number {
    let n = 0;
    for (const s of this.streams) if (s.parents.includes(stream)) n++;
    for (const o of this.outputs) if (o.stream === stream) n++;
    return n;
  }

  /** All streams, in creation order (which is a topological order). */
  graph(): readonly DStream<unknown>[] {
    return this.streams;
  }

  start(options: StartOptions = {}): void {
    if (this.lifecycle === 'active') return;
    if (this.lifecycle === 'stopped') {
      throw new EngineError(
        'SLUICE_ENGINE_LIFECYCLE',
        'a stopped context cannot start again',
        'build a new one',
      );
    }
    if (this.outputs.length === 0) {
      throw new EngineError(
        'SLUICE_ENGINE_LIFECYCLE',
        'no output operations registered, so nothing to execute',
        'add foreachBatch (or a sink) to a stream',
      );
    }
    const b = this.batchIntervalMs;
    this.zeroTimeMs ??= options.zeroTimeMs ?? Math.floor(this.clock.now() / b) * b;
    this.lastBatchMs ??= this.zeroTimeMs;
    for (const s of this.streams) s.setRemember(this.rememberMs);
    this.lifecycle = 'active';
  }

  /** Advances a ManualClock by n intervals and runs the n batches in order (starting the context if needed). */
  async runBatches(n: number): Promise<void> {
    this.start();
    for (let i = 0; i < n; i++) {
      if (this.clock instanceof ManualClock) this.clock.advance(this.batchIntervalMs);
      await this.runBatch(this.nextBatchTime());
    }
  }

  /** Time of the next batch to run. */
  nextBatchTime(): number {
    return (this.lastBatchMs ?? this.zeroTime()) + this.batchIntervalMs;
  }

  /** Moves the batch clock to timeMs without running the batches in between, as if they had been empty and
   * nothing had happened in them. Only for a driver catching up after a long pause, once every window has
   * drained: operators that act on empty batches (updateStateByKey, mapWithState timeouts) do not see them. */
  skipTo(timeMs: number): void {
    this.start();
    const zero = this.zeroTime();
    if ((timeMs - zero) % this.batchIntervalMs !== 0 || timeMs < (this.lastBatchMs ?? zero)) {
      throw new EngineError(
        'SLUICE_ENGINE_TIME_ORDER',
        `cannot skip to ${timeMs}: not a batch time after ${this.lastBatchMs ?? zero}`,
      );
    }
    this.lastBatchMs = timeMs;
    for (const s of this.streams) s.forget(timeMs);
  }

  /** Runs one batch: every stateful operator sees its parents' batches, then every output runs, in order. */
  async runBatch(timeMs: number): Promise<void> {
    this.start();
    if (this.lifecycle !== 'active')
      throw new EngineError('SLUICE_ENGINE_LIFECYCLE', 'the context is stopped');
    if (timeMs !== this.nextBatchTime()) {
      throw new EngineError(
        'SLUICE_ENGINE_TIME_ORDER',
        `batch ${timeMs} out of order: the next batch is ${this.nextBatchTime()}`,
        'batches run one interval apart, in time order',
      );
    }
    this.lastBatchMs = timeMs;
    // Stateful operators see every batch, in creation (topological) order, whether or not an output needs them now.
    for (const s of this.streams) {
      if (s.state === undefined) continue;
      s.state.advance?.(timeMs);
      s.getOrCompute(timeMs);
    }
    for (const { stream, fn } of this.outputs) {
      const items = stream.getOrCompute(timeMs);
      if (items !== null) await fn(items, timeMs);
    }
    for (const s of this.streams) s.forget(timeMs);
  }

  /** The state of every stateful stream after the last batch, keyed by stream name (JSON-serializable). */
  checkpoint(): Checkpoint {
    return takeCheckpoint(
      this.streams,
      this.batchIntervalMs,
      this.zeroTime(),
      this.lastBatchMs ?? this.zeroTime(),
    );
  }

  /** Restores a checkpoint before start: the next batch follows the checkpoint's. Reports which states were
   * restored, which streams start fresh and which checkpointed states no stream claims. */
  restore(checkpoint: Checkpoint): RestoreReport {
    if (this.lifecycle !== 'initialized') {
      throw new EngineError('SLUICE_ENGINE_LIFECYCLE', 'restore() must come before start()');
    }
    const report = restoreCheckpoint(this.streams, this.batchIntervalMs, checkpoint);
    this.zeroTimeMs = checkpoint.zeroTimeMs;
    this.lastBatchMs = checkpoint.batchTimeMs;
    return report;
  }

  stop(): void {
    this.lifecycle = 'stopped';
  }
}
