// queueStream: batches given in memory, as Spark's queueStream and its test input stream. Batch i (0-based) is
// the batch at zero + (i+1)·interval; a null entry means "no batch at that time"; past the end comes defaultBatch.
import type { StreamingContext } from '../context.js';
import type { Batch, DStream } from '../dstream.js';

export interface QueueStreamOptions<T> {
  /** One queued batch per batch interval (default true); false puts every queued batch into the first batch. */
  oneAtATime?: boolean;
  /** What follows the queued batches (default: empty batches); null: no batch at all. */
  defaultBatch?: readonly T[] | null;
}

export function queueStream<T>(
  ctx: StreamingContext,
  batches: readonly (readonly T[] | null)[],
  options: QueueStreamOptions<T> = {},
): DStream<T> {
  const queued = batches.slice();
  const oneAtATime = options.oneAtATime ?? true;
  const fallback: Batch<T> = options.defaultBatch === undefined ? [] : options.defaultBatch;
  const all: readonly T[] = queued.flatMap((b) => b ?? []);
  return ctx.inputStream<T>((t) => {
    const index = (t - ctx.zeroTime()) / ctx.batchIntervalMs - 1;
    if (!oneAtATime) return index === 0 && queued.length > 0 ? all : fallback;
    return index < queued.length ? (queued[index] ?? null) : fallback;
  }, 'queueStream');
}
