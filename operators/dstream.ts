// DStream<T>: a sequence of batches, one per valid batch time, with Spark Streaming's operators and semantics.
// A batch is an array (one partition); `null` is Spark's "no RDD at this time", which is not the same as empty.
import type { StreamingContext } from './context.js';
import { EngineError } from './engine-error.js';
import * as basic from './basic-functions.js';
import * as pair from './pair-functions.js';
import * as windows from './windows/window-functions.js';
import * as keyedWindows from './windows/keyed-window-functions.js';
import {
  updateStateByKey,
  type UpdateStateOptions,
  type UpdateFunction,
} from './state/update-state-by-key.js';
import { mapWithState, type MapWithStateDStream } from './state/map-with-state.js';
import type { StateSpec } from './state/state-spec.js';
import { windowByEventTime, type EventTimeWindowOptions } from './event-time/event-time-window.js';
import { sessionWindow, type SessionWindowOptions } from './event-time/session-window.js';
import type { EventWindowedDStream } from './event-time/window-result.js';
import { aggregateByKeyAndWindow } from './windows/aggregate-by-key-and-window.js';
import type { Aggregator } from './aggregator.js';

/** One batch of a stream: the records of that batch time, or null when the stream produced no batch then. */
export type Batch<T> = readonly T[] | null;

/** What a stateful operator gives the context so that its state is checkpointed under the stream's name. */
export interface OperatorState {
  /** What the state means (operator kind and parameters): a checkpoint restores only into the same signature. */
  readonly signature: string;
  /** A JSON-serializable copy of the state (it is checkpointed as JSON). */
  snapshot(): unknown;
  /** Replaces the state with a snapshot taken by snapshot(); throws on a snapshot it cannot read. */
  restore(snapshot: unknown): void;
  /** Called once per batch time in creation order, before the stream's own batch is computed (the context
   * computes every stateful stream every batch), so the operator sees every parent batch even between its own
   * output times. Must be idempotent per time. */
  advance?(timeMs: number): void;
}

export interface DeriveOptions {
  /** Slide of the new stream; default: the parent's. */
  slideMs?: number;
  /** Extra parents besides this stream (for joins and unions). */
  others?: readonly DStream<unknown>[];
  /** Present for stateful operators: checkpointed under the stream's name. */
  state?: OperatorState;
}

export class DStream<T> {
  private readonly generated = new Map<number, Batch<T>>();
  private lastComputedMs = Number.NEGATIVE_INFINITY;
  private rememberMs = 0;
  /** Checkpoint key and metric label; stable across restarts as long as the graph is built the same way. */
  name: string;
  readonly state: OperatorState | undefined;
  /** Internal, set by map(): this stream's batch is `f` applied to every record of `source`'s batch, so an
   * operator that is its only reader may apply `f` itself instead of having the batch built (see fusion.ts). */
  mapping: { readonly source: DStream<unknown>; readonly f: (item: unknown) => T } | undefined = undefined;

  constructor(
    readonly ctx: StreamingContext,
    readonly kind: string,
    readonly parents: readonly DStream<unknown>[],
    readonly slideMs: number,
    private readonly computeFn: (timeMs: number) => Batch<T>,
    state?: OperatorState,
  ) {
    this.state = state;
    this.name = ctx.register(this);
  }

  /** Gives this stream a stable name: its state is checkpointed under it. Call before the context starts. */
  named(name: string): this {
    this.ctx.rename(this, name);
    this.name = name;
    return this;
  }

  /** True if this stream produces a batch at timeMs: after the zero time, on a multiple of its slide. */
  isTimeValid(timeMs: number): boolean {
    const zero = this.ctx.zeroTime();
    return timeMs > zero && (timeMs - zero) % this.slideMs === 0;
  }

  /** Internal: true if the batch at timeMs has been computed and is still remembered. */
  hasGenerated(timeMs: number): boolean {
    return this.generated.has(timeMs);
  }

  /** The batch at timeMs, computed once and remembered for the remember duration. */
  getOrCompute(timeMs: number): Batch<T> {
    if (this.generated.has(timeMs)) return this.generated.get(timeMs) ?? null;
    if (!this.isTimeValid(timeMs)) return null;
    if (this.state !== undefined && timeMs <= this.lastComputedMs) {
      throw new EngineError(
        'SLUICE_ENGINE_TIME_ORDER',
        `stateful stream "${this.name}" cannot recompute batch ${timeMs}: it has moved on to ${this.lastComputedMs}`,
        'stateful streams compute each batch once, in time order; slice them only at times not yet forgotten',
      );
    }
    // A stateful stream consumes its parents as the batch loop advances: computing ahead of it would skip batches.
    const last = this.ctx.lastBatchTime();
    if (this.state !== undefined && last !== undefined && timeMs > last) {
      throw new EngineError(
        'SLUICE_ENGINE_TIME_ORDER',
        `stateful stream "${this.name}" cannot compute batch ${timeMs} ahead of the last batch run (${last})`,
        'run the batches first (runBatches), then slice stateful streams at times already run',
      );
    }
    const batch = this.computeFn(timeMs);
    this.generated.set(timeMs, batch);
    if (timeMs > this.lastComputedMs) this.lastComputedMs = timeMs;
    return batch;
  }

  /** Internal: sets how long generated batches are kept (at least one slide). */
  setRemember(ms: number): void {
    this.rememberMs = Math.max(ms, this.slideMs);
  }

  /** Internal: after the batch at timeMs ran, forgets the generated batches the next batch's remember duration
   * no longer covers (with the default, one slide: the batch just run, whose records would otherwise stay
   * reachable for one more interval: at 60k records/s, ~20 MiB of the daemon's peak RSS). */
  forget(timeMs: number): void {
    const horizon = timeMs + this.slideMs - this.rememberMs;
    for (const t of this.generated.keys()) if (t <= horizon) this.generated.delete(t);
  }

  /** Internal: after a restore, computing resumes after timeMs. */
  resumeAfter(timeMs: number): void {
    this.generated.clear();
    this.lastComputedMs = timeMs;
  }

  /** A new stream whose batch at t is computed by fn (which reads this stream's batches). */
  derive<U>(kind: string, fn: (timeMs: number) => Batch<U>, options: DeriveOptions = {}): DStream<U> {
    const parents = [this as DStream<unknown>, ...(options.others ?? [])];
    return new DStream<U>(this.ctx, kind, parents, options.slideMs ?? this.slideMs, fn, options.state);
  }

  // ---- per-batch transformations ----------------------------------------------------------------------------

  map<U>(f: (item: T) => U): DStream<U> {
    return basic.map(this, f);
  }
  /** map whose result is a [key, value] pair, typed as a tuple (Spark's Java mapToPair). */
  mapToPair<K, V>(f: (item: T) => [K, V]): DStream<[K, V]> {
    return basic.map(this, f, 'mapToPair');
  }
  flatMap<U>(f: (item: T) => Iterable<U>): DStream<U> {
    return basic.flatMap(this, f);
  }
  filter(f: (item: T) => boolean): DStream<T> {
    return basic.filter(this, f);
  }
  /** One partition per batch: f sees the whole batch. */
  mapPartitions<U>(f: (items: readonly T[]) => Iterable<U>): DStream<U> {
    return basic.mapPartitions(this, f);
  }
  /** Each batch becomes one element: the array of its records (one partition per batch). */
  glom(): DStream<T[]> {
    return basic.glom(this);
  }
  /** One element per non-empty batch (an empty batch gives an empty batch). */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    return basic.reduce(this, f);
  }
  /** [n] for every batch, [0] for an empty one. */
  count(): DStream<number> {
    return basic.count(this);
  }
  countByValue(): DStream<[T, number]> {
    return basic.countByValue(this);
  }
  /** Concatenation of this stream's batch and the others', in order; every stream must produce a batch. */
  union(...others: DStream<T>[]): DStream<T> {
    return this.ctx.union([this, ...others]);
  }
  /** Arbitrary batch-to-batch function; it must return an array. */
  transform<U>(f: (items: readonly T[], timeMs: number) => readonly U[]): DStream<U> {
    return this.ctx.transform([this as DStream<unknown>], ([items], t) => f(items as readonly T[], t));
  }
  transformWith<U, V>(
    other: DStream<U>,
    f: (items: readonly T[], others: readonly U[], timeMs: number) => readonly V[],
  ): DStream<V> {
    return this.ctx.transform([this as DStream<unknown>, other as DStream<unknown>], ([a, b], t) =>
      f(a as readonly T[], b as readonly U[], t),
    );
  }

  // ---- windows ----------------------------------------------------------------------------------------------

  /** Union of this stream's batches over the last windowMs, every slideMs (default: this stream's slide). */
  window(windowMs: number, slideMs?: number): DStream<T> {
    return windows.window(this, windowMs, slideMs ?? this.slideMs);
  }
  countByWindow(windowMs: number, slideMs?: number): DStream<number> {
    return windows.countByWindow(this, windowMs, slideMs ?? this.slideMs);
  }
  reduceByWindow(f: (a: T, b: T) => T, windowMs: number, slideMs?: number): DStream<T>;
  reduceByWindow(
    f: (a: T, b: T) => T,
    invF: (a: T, b: T) => T,
    windowMs: number,
    slideMs?: number,
  ): DStream<T>;
  reduceByWindow(
    f: (a: T, b: T) => T,
    second: number | ((a: T, b: T) => T),
    third?: number,
    fourth?: number,
  ): DStream<T> {
    if (typeof second === 'number') return windows.reduceByWindow(this, f, second, third ?? this.slideMs);
    if (third === undefined) throw missingWindow('reduceByWindow');
    return windows.reduceByWindowInv(this, f, second, third, fourth ?? this.slideMs);
  }
  countByValueAndWindow(windowMs: number, slideMs?: number): DStream<[T, number]> {
    return windows.countByValueAndWindow(this, windowMs, slideMs ?? this.slideMs);
  }
  /** The batches at this stream's valid times in [fromMs, toMs], both ends included, computed on demand. */
  slice(fromMs: number, toMs: number): (readonly T[])[] {
    return basic.slice(this, fromMs, toMs);
  }

  // ---- outputs ----------------------------------------------------------------------------------------------

  /** Registers an output: f runs for every batch this stream produces (empty ones too), in time order. */
  foreachBatch(f: (items: readonly T[], timeMs: number) => void | Promise<void>): void {
    this.ctx.registerOutput(this, f as (items: readonly unknown[], timeMs: number) => void);
  }
  /** Alias of foreachBatch, Spark's name. */
  foreachRDD(f: (items: readonly T[], timeMs: number) => void | Promise<void>): void {
    this.foreachBatch(f);
  }

  // ---- pair streams -----------------------------------------------------------------------------------------

  mapValues<K, V, W>(this: DStream<readonly [K, V]>, f: (value: V) => W): DStream<[K, W]> {
    return pair.mapValues(this, f);
  }
  flatMapValues<K, V, W>(this: DStream<readonly [K, V]>, f: (value: V) => Iterable<W>): DStream<[K, W]> {
    return pair.flatMapValues(this, f);
  }
  reduceByKey<K, V>(this: DStream<readonly [K, V]>, f: (a: V, b: V) => V): DStream<[K, V]> {
    return pair.reduceByKeyStream(this, f);
  }
  groupByKey<K, V>(this: DStream<readonly [K, V]>): DStream<[K, V[]]> {
    return pair.groupByKeyStream(this);
  }
  combineByKey<K, V, C>(
    this: DStream<readonly [K, V]>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
  ): DStream<[K, C]> {
    return pair.combineByKey(this, createCombiner, mergeValue, mergeCombiners);
  }
  cogroup<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
  ): DStream<[K, [V[], W[]]]> {
    return pair.cogroup(this, other);
  }
  join<K, V, W>(this: DStream<readonly [K, V]>, other: DStream<readonly [K, W]>): DStream<[K, [V, W]]> {
    return pair.join(this, other);
  }
  leftOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
  ): DStream<[K, [V, W | null]]> {
    return pair.leftOuterJoin(this, other);
  }
  rightOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
  ): DStream<[K, [V | null, W]]> {
    return pair.rightOuterJoin(this, other);
  }
  fullOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
  ): DStream<[K, [V | null, W | null]]> {
    return pair.fullOuterJoin(this, other);
  }

  reduceByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    f: (a: V, b: V) => V,
    windowMs: number,
    slideMs?: number,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    f: (a: V, b: V) => V,
    invF: (a: V, b: V) => V,
    windowMs: number,
    slideMs?: number,
    filterF?: (pair: readonly [K, V]) => boolean,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    f: (a: V, b: V) => V,
    second: number | ((a: V, b: V) => V),
    third?: number,
    fourth?: number,
    filterF?: (pair: readonly [K, V]) => boolean,
  ): DStream<[K, V]> {
    if (typeof second === 'number') {
      return keyedWindows.reduceByKeyAndWindow(this, f, second, third ?? this.slideMs);
    }
    if (third === undefined) throw missingWindow('reduceByKeyAndWindow');
    return keyedWindows.reduceByKeyAndWindowInv(this, f, second, third, fourth ?? this.slideMs, filterF);
  }
  /** Windowed aggregation by key with a mergeable aggregator (one partial per key per pane): the cost of a slide
   * does not grow with window/slide. Keys leave when the window has no data for them. */
  aggregateByKeyAndWindow<K, V, P, R>(
    this: DStream<readonly [K, V]>,
    aggregate: Aggregator<V, P, R>,
    windowMs: number,
    slideMs?: number,
  ): DStream<[K, R]> {
    return aggregateByKeyAndWindow(this, aggregate, windowMs, slideMs ?? this.slideMs);
  }
  groupByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    windowMs: number,
    slideMs?: number,
  ): DStream<[K, V[]]> {
    return keyedWindows.groupByKeyAndWindow(this, windowMs, slideMs ?? this.slideMs);
  }

  // ---- event time -------------------------------------------------------------------------------------------

  /** Event-time tumbling or hopping windows per key, final once the watermark passes their end; late records
   * go to .late(). */
  windowByEventTime<K, V, P = V[], R = V[]>(
    this: DStream<readonly [K, V]>,
    options: EventTimeWindowOptions<V, P, R>,
  ): EventWindowedDStream<K, V, R> {
    return windowByEventTime(this, options);
  }
  /** Event-time session windows per key, closed after gapMs without records; late records go to .late(). */
  sessionWindow<K, V, P = V[], R = V[]>(
    this: DStream<readonly [K, V]>,
    options: SessionWindowOptions<V, P, R>,
  ): EventWindowedDStream<K, V, R> {
    return sessionWindow(this, options);
  }

  // ---- state ------------------------------------------------------------------------------------------------

  /** Keeps a state per key, updated every batch; outputs every live state every batch (Spark's StateDStream). */
  updateStateByKey<K, V, S>(
    this: DStream<readonly [K, V]>,
    update: UpdateFunction<K, V, S>,
    options: UpdateStateOptions<K, S> = {},
  ): DStream<[K, S]> {
    return updateStateByKey(this, update, options);
  }
  /** Calls spec's function once per record with the key's state; outputs what it returns (Spark's mapWithState). */
  mapWithState<K, V, S, U>(
    this: DStream<readonly [K, V]>,
    spec: StateSpec<K, V, S, U>,
  ): MapWithStateDStream<K, S, U> {
    return mapWithState(this, spec);
  }
}

function missingWindow(op: string): EngineError {
  return new EngineError(
    'SLUICE_ENGINE_INVALID_DURATION',
    `${op} with an inverse function needs a window length`,
    `call ${op}(f, invF, windowMs, slideMs)`,
  );
}
