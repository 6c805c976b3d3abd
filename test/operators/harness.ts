// Test harness mirroring Spark's TestSuiteBase: a queue stream per input, one output collecting every batch the
// final stream produces, run for numBatches batches on a ManualClock, compared as lists or as sets per batch.
// Also the MapWithStateSuite harness (mapped output and state snapshots) and a CheckpointSuite-style restart.
import { expect } from 'vitest';
import {
  ManualClock,
  MemoryStateStore,
  StreamingContext,
  type DStream,
  type MapWithStateDStream,
  type RestoreReport,
  type StateSpec,
} from '../../operators/index.js';

/** An input as Spark's TestInputStream takes it: batch i comes at (i+1)·batchMs; null: no batch at that time. */
export type Input<T> = readonly (readonly T[] | null)[];

export interface RunOptions {
  /** Batch interval; default 1000 ms as in Spark's suites. */
  batchMs?: number;
  /** Batches to run; default: the number of expected outputs. */
  numBatches?: number;
}

export interface RunResult<U> {
  /** Every output batch (empty ones included), oldest first, up to the failure if there was one. */
  output: U[][];
  /** What runBatches threw, if it threw. */
  error: Error | undefined;
}

/** Builds the graph on a fresh context from the given inputs, runs numBatches batches and collects the output of
 * the stream build returns. Never throws for a failing batch: the error comes back with the output so far. */
export async function collect<U>(
  inputs: readonly Input<unknown>[],
  build: (streams: DStream<unknown>[], ctx: StreamingContext) => DStream<U>,
  numBatches: number,
  options: RunOptions = {},
): Promise<RunResult<U>> {
  const ctx = new StreamingContext({ batchIntervalMs: options.batchMs ?? 1000, clock: new ManualClock() });
  const output: U[][] = [];
  build(
    inputs.map((input) => ctx.queueStream(input)),
    ctx,
  ).foreachBatch((items) => {
    output.push(items.slice());
  });
  let error: Error | undefined;
  try {
    await ctx.runBatches(numBatches);
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  ctx.stop();
  return { output, error };
}

/** Runs op on one input and returns every output batch (empty ones included), oldest first. */
export async function runOperation<T, U>(
  input: Input<T>,
  op: (s: DStream<T>) => DStream<U>,
  numBatches: number,
  options: RunOptions = {},
): Promise<U[][]> {
  const { output, error } = await collect([input], ([s]) => op(s as DStream<T>), numBatches, options);
  if (error !== undefined) throw error;
  return output;
}

/** Two-input variant (Spark's testOperation with input2). */
export async function runOperation2<T, T2, U>(
  input1: Input<T>,
  input2: Input<T2>,
  op: (a: DStream<T>, b: DStream<T2>) => DStream<U>,
  numBatches: number,
  options: RunOptions = {},
): Promise<U[][]> {
  const { output, error } = await collect(
    [input1, input2],
    ([a, b]) => op(a as DStream<T>, b as DStream<T2>),
    numBatches,
    options,
  );
  if (error !== undefined) throw error;
  return output;
}

/** Spark's verifyOutput: same number of batches; each batch equal as a list, or as a set (order and duplicates
 * ignored) when useSet. */
export function verifyOutput<U>(
  output: readonly (readonly U[])[],
  expected: readonly (readonly U[])[],
  useSet: boolean,
): void {
  expect(output.length, 'number of output batches').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const got = output[i] ?? [];
    const want = expected[i] ?? [];
    if (useSet) expect(asSet(got), `batch ${i}`).toEqual(asSet(want));
    else expect(got, `batch ${i}`).toEqual(want);
  }
}

/** A batch as a set, Spark's `toSet`: order and duplicates ignored. */
export function asSet(items: readonly unknown[]): string[] {
  return [...new Set(items.map((x) => JSON.stringify(x)))].sort();
}

/** Spark's testOperation: runs expected.length batches (or numBatches) and verifies. */
export async function testOperation<T, U>(
  input: Input<T>,
  op: (s: DStream<T>) => DStream<U>,
  expected: readonly (readonly U[])[],
  options: RunOptions & { useSet?: boolean } = {},
): Promise<void> {
  const output = await runOperation(input, op, options.numBatches ?? expected.length, options);
  verifyOutput(output, expected, options.useSet ?? false);
}

export async function testOperation2<T, T2, U>(
  input1: Input<T>,
  input2: Input<T2>,
  op: (a: DStream<T>, b: DStream<T2>) => DStream<U>,
  expected: readonly (readonly U[])[],
  options: RunOptions & { useSet?: boolean } = {},
): Promise<void> {
  const output = await runOperation2(input1, input2, op, options.numBatches ?? expected.length, options);
  verifyOutput(output, expected, options.useSet ?? false);
}

// ---- table rows ---------------------------------------------------------------------------------------------

/** One row of a one-input table: the Spark test it ports, its input, operation and expected output. */
export interface Case<T, U> {
  /** The Spark test name, as in the Spark source, so a reader can check the row against it. */
  name: string;
  input: Input<T>;
  op: (s: DStream<T>) => DStream<U>;
  expected: readonly (readonly U[])[];
  useSet?: boolean;
  numBatches?: number;
  batchMs?: number;
}

/** One row of a two-input table (Spark's testOperation(input1, input2, ...)). */
export interface Case2<T, T2, U> {
  name: string;
  input1: Input<T>;
  input2: Input<T2>;
  op: (a: DStream<T>, b: DStream<T2>) => DStream<U>;
  expected: readonly (readonly U[])[];
  useSet?: boolean;
  numBatches?: number;
}

/** Erases a row's types so rows of different types share one table (each row is checked when written). */
export function row<T, U>(c: Case<T, U>): Case<unknown, unknown> {
  return c as unknown as Case<unknown, unknown>;
}

export function row2<T, T2, U>(c: Case2<T, T2, U>): Case2<unknown, unknown, unknown> {
  return c as unknown as Case2<unknown, unknown, unknown>;
}

/** Scala's `from to to`: the integers from..to, both included. */
export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

// ---- MapWithStateSuite --------------------------------------------------------------------------------------

export interface MapWithStateResult<K, S, U> {
  outputs: U[][];
  snapshots: [K, S][][];
}

/** MapWithStateSuite.getOperationOutput: input.map(x => (x, 1)).mapWithState(spec); collects the mapped stream
 * and stateSnapshots() for numBatches batches of 1 s. */
export async function runMapWithState<K, S, U>(
  input: Input<K>,
  spec: StateSpec<K, number, S, U>,
  numBatches: number,
): Promise<MapWithStateResult<K, S, U>> {
  const ctx = new StreamingContext({ batchIntervalMs: 1000, clock: new ManualClock() });
  const stream: MapWithStateDStream<K, S, U> = ctx
    .queueStream(input)
    .map((x): [K, number] => [x, 1])
    .mapWithState(spec);
  const outputs: U[][] = [];
  const snapshots: [K, S][][] = [];
  stream.foreachBatch((items) => {
    outputs.push(items.slice());
  });
  stream.stateSnapshots().foreachBatch((items) => {
    snapshots.push(items.slice());
  });
  await ctx.runBatches(numBatches);
  ctx.stop();
  return { outputs, snapshots };
}

// ---- CheckpointSuite ----------------------------------------------------------------------------------------

/** Builds a graph on ctx and registers its outputs (each pushes into the given sinks, one per output). */
export type GraphBuilder = (ctx: StreamingContext, sinks: unknown[][][]) => void;

export interface CheckpointedRun {
  /** Per output, every batch over the whole run, restarts included, concatenated. */
  outputs: unknown[][][];
  /** The restore report of every restart, in order. */
  reports: RestoreReport[];
}

/** Runs a graph for totalBatches, restarting after each batch number in cuts: it takes ctx.checkpoint(), saves it
 * to a MemoryStateStore (a JSON round trip), builds the graph again on a fresh context, restores and goes on. */
export async function runWithRestarts(
  build: GraphBuilder,
  numOutputs: number,
  totalBatches: number,
  cuts: readonly number[],
  batchMs = 1000,
): Promise<CheckpointedRun> {
  const outputs: unknown[][][] = Array.from({ length: numOutputs }, () => []);
  const reports: RestoreReport[] = [];
  const store = new MemoryStateStore();
  const points = [...new Set(cuts)].filter((c) => c >= 0 && c < totalBatches).sort((a, b) => a - b);
  let done = 0;
  let ctx: StreamingContext | undefined;
  for (const stop of [...points, totalBatches]) {
    const next = new StreamingContext({ batchIntervalMs: batchMs, clock: new ManualClock() });
    build(next, outputs);
    const saved = await store.load();
    if (ctx !== undefined) {
      if (saved === undefined) throw new Error('no checkpoint saved');
      reports.push(next.restore(saved));
    }
    ctx = next;
    await ctx.runBatches(stop - done);
    done = stop;
    if (stop < totalBatches) {
      await store.save(ctx.checkpoint());
      ctx.stop();
    }
  }
  ctx?.stop();
  return { outputs, reports };
}

/** Registers stream as output number i of a GraphBuilder. */
export function sinkTo<T>(stream: DStream<T>, sinks: unknown[][][], i: number): void {
  stream.foreachBatch((items) => {
    sinks[i]?.push(items.slice());
  });
}
