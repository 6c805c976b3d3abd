// Throughput of map + filter + reduceByKey per batch (sum of temp ≥ 20 °C per key) against a hand-rolled loop
// over the same batches with a Map.
import { medianTimes, recordsPerSecond, type MeasureOptions, type RunResult } from '../measure.js';
import { throughputRow, type Row } from '../report.js';
import { Sink } from '../sink.js';
import { feed, newContext, timeBatches, timeLoop } from './feed.js';
import type { Reading } from './readings.js';

const MIN_TEMP = 20;

export async function mapFilterReduceByKey(
  batches: readonly Reading[][],
  label: string,
  options: MeasureOptions,
): Promise<Row[]> {
  const records = batches.reduce((n, b) => n + b.length, 0);

  const sluice = (): Promise<RunResult> => {
    const sink = new Sink();
    const ctx = newContext();
    feed(ctx, batches)
      .mapToPair((r) => [r.key, r.temp])
      .filter(([, temp]) => temp >= MIN_TEMP)
      .reduceByKey((a, b) => a + b)
      .foreachBatch((items) => {
        for (const [, sum] of items) sink.emit(sum);
      });
    return timeBatches(ctx, batches.length, sink);
  };

  const handRolled = (): Promise<RunResult> => {
    const sink = new Sink();
    return timeLoop(() => {
      for (const batch of batches) {
        const sums = new Map<string, number>();
        for (const r of batch) {
          if (r.temp >= MIN_TEMP) sums.set(r.key, (sums.get(r.key) ?? 0) + r.temp);
        }
        for (const sum of sums.values()) sink.emit(sum);
      }
    }, sink);
  };

  const ms = await medianTimes(
    [
      { name: 'sluice', run: sluice, oracle: 'sums' },
      { name: 'hand-rolled', run: handRolled, oracle: 'sums' },
    ],
    options,
  );
  const rps = (name: string): number => recordsPerSecond(records, ms.get(name));
  return [throughputRow(`map+filter+reduceByKey ${label}`, rps('sluice'), rps('hand-rolled'))];
}
