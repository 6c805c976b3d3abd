// Throughput of updateStateByKey keeping a running count/sum of temp per key (every live state output every
// batch, as Spark's StateDStream) against a hand-rolled Map updated in place and emitted whole every batch.
import { medianTimes, recordsPerSecond, type MeasureOptions, type RunResult } from '../measure.js';
import { throughputRow, type Row } from '../report.js';
import { Sink } from '../sink.js';
import { feed, newContext, timeBatches, timeLoop } from './feed.js';
import type { Reading } from './readings.js';

interface Running {
  count: number;
  sum: number;
}

export async function updateStateByKeyThroughput(
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
      .updateStateByKey<string, number, Running>((temps, state) => {
        // A state with no new values is returned as it is: no allocation for idle keys.
        if (temps.length === 0) return state;
        let count = state?.count ?? 0;
        let sum = state?.sum ?? 0;
        for (const t of temps) {
          count++;
          sum += t;
        }
        return { count, sum };
      })
      .foreachBatch((items) => {
        for (const [, s] of items) sink.emit(s.count, s.sum);
      });
    return timeBatches(ctx, batches.length, sink);
  };

  const handRolled = (): Promise<RunResult> => {
    const sink = new Sink();
    return timeLoop(() => {
      const states = new Map<string, Running>();
      for (const batch of batches) {
        for (const r of batch) {
          const s = states.get(r.key);
          if (s === undefined) states.set(r.key, { count: 1, sum: r.temp });
          else {
            s.count++;
            s.sum += r.temp;
          }
        }
        for (const s of states.values()) sink.emit(s.count, s.sum);
      }
    }, sink);
  };

  const ms = await medianTimes(
    [
      { name: 'sluice', run: sluice, oracle: 'running' },
      { name: 'hand-rolled', run: handRolled, oracle: 'running' },
    ],
    options,
  );
  const rps = (name: string): number => recordsPerSecond(records, ms.get(name));
  return [throughputRow(`updateStateByKey ${label}`, rps('sluice'), rps('hand-rolled'))];
}
