// Measures heap bytes per AggregateSet state over 100k states and prints them as JSON (state-bytes.test.ts
// reads it). Run: node --expose-gc --import tsx test/operators/aggregates/state-bytes.ts
import os from 'node:os';
import { compileAggregateSet, type AggregateSet } from '../../../operators/aggregates/index.js';

const STATES = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with: node --expose-gc --import tsx test/operators/aggregates/state-bytes.ts');
  process.exit(2);
}

// Heap growth per state while STATES states built by `make` are alive (the holder array is allocated first).
function bytesPerState(make: (i: number) => unknown): number {
  const holder = new Array<unknown>(STATES).fill(null);
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < STATES; i++) holder[i] = make(i);
  gc?.();
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (holder.length !== STATES) throw new Error('unreachable: keeps the holder alive until after measuring');
  return Math.round(((after - before) / STATES) * 10) / 10;
}

// A state after three records, the way a live key's window holds it.
function filled(set: AggregateSet, i: number): unknown {
  let s = set.init();
  for (let k = 0; k < 3; k++) s = set.add(s, { temp: 20 + ((i + k) % 97) / 10 }, 1_000 * k);
  return s;
}

const countAvgMax = compileAggregateSet({ n: 'count()', temp_avg: 'avg(temp)', temp_max: 'max(temp)' });
const withP95 = compileAggregateSet({ n: 'count()', temp_avg: 'avg(temp)', temp_p95: 'p95(temp)' });

console.log(
  JSON.stringify({
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    states: STATES,
    bytesPerState: {
      countAvgMaxEmpty: bytesPerState(() => countAvgMax.init()),
      countAvgMax: bytesPerState((i) => filled(countAvgMax, i)),
      countAvgP95: bytesPerState((i) => filled(withP95, i)),
    },
  }),
);
