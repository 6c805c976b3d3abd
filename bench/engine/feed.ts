// How the engine benchmark drives Sluice: pre-built batches fed through ctx.inputStream (the daemon's path) and
// timed over runBatches only, graph construction excluded.
import { StreamingContext, type DStream } from '../../operators/index.js';
import type { RunResult } from '../measure.js';
import type { Sink } from '../sink.js';

/** Batch interval of every engine scenario: one batch per second of data. */
export const BATCH_MS = 1000;

/** A fresh context on a manual clock at 0 with a 1 s batch interval. */
export function newContext(): StreamingContext {
  return new StreamingContext({ batchIntervalMs: BATCH_MS });
}

/** A stream whose batch k (from 1) is batches[k − 1], and no batch after them. */
export function feed<T>(ctx: StreamingContext, batches: readonly (readonly T[])[]): DStream<T> {
  return ctx.inputStream((t) => batches[(t - ctx.zeroTime()) / BATCH_MS - 1] ?? null);
}

/** Runs n batches and times them; the context is stopped afterwards. */
export async function timeBatches(ctx: StreamingContext, n: number, sink: Sink): Promise<RunResult> {
  const start = performance.now();
  await ctx.runBatches(n);
  const ms = performance.now() - start;
  ctx.stop();
  return { ms, checksum: sink.checksum() };
}

/** Times a hand-rolled loop the same way (it is synchronous; awaited for a uniform contender shape). */
export function timeLoop(loop: () => void, sink: Sink): Promise<RunResult> {
  const start = performance.now();
  loop();
  const ms = performance.now() - start;
  return Promise.resolve({ ms, checksum: sink.checksum() });
}
