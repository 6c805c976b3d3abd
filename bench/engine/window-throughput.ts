// Throughput of count/avg/max by key in processing-time windows: tumbling 1 s against a hand-rolled Map reset
// every second (at two batch sizes), and sliding 60 s / 1 s against Sluice's own tumbling window (the cost of
// sliding) and against a hand-rolled ring per key; through a hand-written Aggregator and through the
// AggregateSet a pipeline's `aggregate:` block compiles.
import type { AggregateInput } from '../../operators/aggregates/index.js';
import type { DStream } from '../../operators/index.js';
import { medianTimes, recordsPerSecond, type MeasureOptions, type RunResult } from '../measure.js';
import { throughputRow, type Row } from '../report.js';
import { Sink } from '../sink.js';
import { aggregateSetAggregator, countAvgMax } from './count-avg-max.js';
import { BATCH_MS, feed, newContext, timeBatches } from './feed.js';
import { handRolledSliding, handRolledTumbling } from './hand-rolled-windows.js';
import type { Reading } from './readings.js';

export const TUMBLING_MIN_RATIO = 0.8;
export const SLIDING_MIN_RATIO = 0.5;
const SLIDING_WINDOW_MS = 60_000;

type Variant = 'aggregator' | 'set';

function sluiceWindow(batches: readonly Reading[][], variant: Variant, windowMs: number) {
  return (): Promise<RunResult> => {
    const sink = new Sink();
    const ctx = newContext();
    const input: DStream<Reading> = feed(ctx, batches);
    if (variant === 'aggregator') {
      input
        .mapToPair((r) => [r.key, r.temp])
        .aggregateByKeyAndWindow(countAvgMax, windowMs, BATCH_MS)
        .foreachBatch((items) => {
          for (const [, r] of items) sink.emit(r.count, r.avg, r.max);
        });
    } else {
      input
        .mapToPair((r): [string, AggregateInput] => [r.key, r])
        .aggregateByKeyAndWindow(aggregateSetAggregator(), windowMs, BATCH_MS)
        .foreachBatch((items) => {
          for (const [, r] of items) sink.emit(r.n ?? NaN, r.temp_avg ?? NaN, r.temp_max ?? NaN);
        });
    }
    return timeBatches(ctx, batches.length, sink);
  };
}

function shape(batches: readonly Reading[][]): string {
  return `${batches.length}×${(batches[0]?.length ?? 0) / 1000}k`;
}

/** `batches` (at least 60) measure tumbling and sliding; `bigBatches` (the same records in fewer, larger
 * batches) measure tumbling where records per key per batch outweigh outputs. */
export async function windowThroughput(
  batches: readonly Reading[][],
  bigBatches: readonly Reading[][],
  options: MeasureOptions,
): Promise<Row[]> {
  const records = batches.reduce((n, b) => n + b.length, 0);
  const ms = await medianTimes(
    [
      { name: 'hand tumbling', run: handRolledTumbling(batches), oracle: 'tumbling' },
      { name: 'tumbling', run: sluiceWindow(batches, 'aggregator', BATCH_MS), oracle: 'tumbling' },
      { name: 'tumbling set', run: sluiceWindow(batches, 'set', BATCH_MS), oracle: 'tumbling' },
      { name: 'hand tumbling big', run: handRolledTumbling(bigBatches), oracle: 'tumbling big' },
      { name: 'tumbling big', run: sluiceWindow(bigBatches, 'aggregator', BATCH_MS), oracle: 'tumbling big' },
      { name: 'tumbling set big', run: sluiceWindow(bigBatches, 'set', BATCH_MS), oracle: 'tumbling big' },
      {
        name: 'hand sliding',
        run: handRolledSliding(batches, SLIDING_WINDOW_MS / BATCH_MS),
        oracle: 'sliding',
      },
      { name: 'sliding', run: sluiceWindow(batches, 'aggregator', SLIDING_WINDOW_MS), oracle: 'sliding' },
      { name: 'sliding set', run: sluiceWindow(batches, 'set', SLIDING_WINDOW_MS), oracle: 'sliding' },
    ],
    options,
  );
  const rps = (name: string): number => recordsPerSecond(records, ms.get(name));
  const small = shape(batches);
  const big = shape(bigBatches);
  return [
    throughputRow(
      `tumbling 1 s, Aggregator, ${small}`,
      rps('tumbling'),
      rps('hand tumbling'),
      TUMBLING_MIN_RATIO,
    ),
    throughputRow(
      `tumbling 1 s, AggregateSet, ${small}`,
      rps('tumbling set'),
      rps('hand tumbling'),
      TUMBLING_MIN_RATIO,
    ),
    throughputRow(
      `tumbling 1 s, Aggregator, ${big}`,
      rps('tumbling big'),
      rps('hand tumbling big'),
      TUMBLING_MIN_RATIO,
    ),
    throughputRow(
      `tumbling 1 s, AggregateSet, ${big}`,
      rps('tumbling set big'),
      rps('hand tumbling big'),
      TUMBLING_MIN_RATIO,
    ),
    throughputRow(
      `sliding 60/1 s ÷ sluice tumbling, Aggregator`,
      rps('sliding'),
      rps('tumbling'),
      SLIDING_MIN_RATIO,
    ),
    throughputRow(
      `sliding 60/1 s ÷ sluice tumbling, AggregateSet`,
      rps('sliding set'),
      rps('tumbling set'),
      SLIDING_MIN_RATIO,
    ),
    throughputRow(`sliding 60/1 s ÷ hand-rolled ring, Aggregator`, rps('sliding'), rps('hand sliding')),
  ];
}
