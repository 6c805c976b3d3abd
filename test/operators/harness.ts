// Test harness mirroring Spark's TestSuiteBase: a queue stream per input, one output collecting every batch the
// final stream produces, run for numBatches batches on a ManualClock, compared as lists or as sets per batch.
import { expect } from 'vitest';
import { ManualClock, StreamingContext, type DStream } from '../../operators/index.js';

export interface RunOptions {
  /** Batch interval; default 1000 ms as in Spark's suites. */
  batchMs?: number;
  /** Batches to run; default: the number of expected outputs. */
  numBatches?: number;
}

/** Runs op on one input and returns every output batch (empty ones included), oldest first. */
export async function runOperation<T, U>(
  input: readonly (readonly T[] | null)[],
  op: (s: DStream<T>) => DStream<U>,
  numBatches: number,
  options: RunOptions = {},
): Promise<U[][]> {
  const ctx = new StreamingContext({ batchIntervalMs: options.batchMs ?? 1000, clock: new ManualClock() });
  const out: U[][] = [];
  op(ctx.queueStream(input)).foreachBatch((items) => {
    out.push(items.slice());
  });
  await ctx.runBatches(numBatches);
  ctx.stop();
  return out;
}

/** Two-input variant (Spark's testOperation with input2). */
export async function runOperation2<T, T2, U>(
  input1: readonly (readonly T[] | null)[],
  input2: readonly (readonly T2[] | null)[],
  op: (a: DStream<T>, b: DStream<T2>) => DStream<U>,
  numBatches: number,
  options: RunOptions = {},
): Promise<U[][]> {
  const ctx = new StreamingContext({ batchIntervalMs: options.batchMs ?? 1000, clock: new ManualClock() });
  const out: U[][] = [];
  op(ctx.queueStream(input1), ctx.queueStream(input2)).foreachBatch((items) => {
    out.push(items.slice());
  });
  await ctx.runBatches(numBatches);
  ctx.stop();
  return out;
}

/** Spark's verifyOutput: same number of batches; each batch equal as a list, or as a set (order and duplicates
 * ignored) when useSet. */
export function verifyOutput<U>(output: U[][], expected: readonly (readonly U[])[], useSet: boolean): void {
  expect(output.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const got = output[i] ?? [];
    const want = expected[i] ?? [];
    if (useSet) expect(asSet(got), `batch ${i}`).toEqual(asSet(want));
    else expect(got, `batch ${i}`).toEqual(want);
  }
}

function asSet(items: readonly unknown[]): string[] {
  return [...new Set(items.map((x) => JSON.stringify(x)))].sort();
}

/** Spark's testOperation: runs expected.length batches (or numBatches) and verifies. */
export async function testOperation<T, U>(
  input: readonly (readonly T[] | null)[],
  op: (s: DStream<T>) => DStream<U>,
  expected: readonly (readonly U[])[],
  options: RunOptions & { useSet?: boolean } = {},
): Promise<void> {
  const output = await runOperation(input, op, options.numBatches ?? expected.length, options);
  verifyOutput(output, expected, options.useSet ?? false);
}

export async function testOperation2<T, T2, U>(
  input1: readonly (readonly T[] | null)[],
  input2: readonly (readonly T2[] | null)[],
  op: (a: DStream<T>, b: DStream<T2>) => DStream<U>,
  expected: readonly (readonly U[])[],
  options: RunOptions & { useSet?: boolean } = {},
): Promise<void> {
  const output = await runOperation2(input1, input2, op, options.numBatches ?? expected.length, options);
  verifyOutput(output, expected, options.useSet ?? false);
}
