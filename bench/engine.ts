// The engine benchmark: records/s and heap bytes per key of Sluice's operators beside hand-rolled loops doing the
// same work in the same run, over 1M deterministic readings (`npm run bench -- engine [--only=…] [--repeats=N]`).
import { describeMachine } from './machine.js';
import { gcSource } from './gc.js';
import { renderTable, type Row } from './report.js';
import type { MeasureOptions } from './measure.js';
import { batchesOf, readings } from './engine/readings.js';
import { mapFilterReduceByKey } from './engine/map-filter-reduce-by-key.js';
import { windowThroughput } from './engine/window-throughput.js';
import { updateStateByKeyThroughput } from './engine/update-state-by-key.js';
import { windowHeapPerKey } from './engine/window-heap-per-key.js';
import { textFlag } from './flags.js';

const RECORDS = 1_000_000;
const KEYS = 10_000;
const BATCH = 10_000;
const BIG_BATCH = 100_000;
const STATE_KEYS = 100_000;
const STATE_BATCH = 100_000;
const HEAP_KEYS = 100_000;
const HEAP_SLIDING_KEYS = 10_000;

const SCENARIOS = ['map', 'window', 'state', 'heap'] as const;
type Scenario = (typeof SCENARIOS)[number];

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

export async function run(flags: readonly string[]): Promise<void> {
  const only = textFlag(flags, 'only')?.split(',');
  const selected = SCENARIOS.filter((s) => only === undefined || only.includes(s));
  const repeats = Number(textFlag(flags, 'repeats') ?? 5);
  const options: MeasureOptions = { warmup: 2, repeats };
  const want = (s: Scenario): boolean => selected.includes(s);

  console.log('# engine');
  console.log(`machine: ${describeMachine()}`);
  console.log(`date: ${new Date().toISOString()} · gc: ${gcSource}`);
  console.log(
    `method: records/s = median of ${repeats} alternating runs after 2 warm-ups; heap = median of 3`,
  );

  const rows: Row[] = [];
  if (want('map') || want('window')) {
    progress(`generating ${RECORDS} readings over ${KEYS} keys`);
    const all = readings(RECORDS, KEYS, 1);
    const batches = batchesOf(all, BATCH);
    const label = `(${KEYS / 1000}k keys, ${batches.length}×${BATCH / 1000}k)`;
    console.log(
      `data: ${RECORDS} readings, ${KEYS} keys, 1 s batches of ${BATCH} (and ${BIG_BATCH} for tumbling)`,
    );
    if (want('map')) {
      progress('map+filter+reduceByKey');
      rows.push(...(await mapFilterReduceByKey(batches, label, options)));
    }
    if (want('window')) {
      progress('windows: tumbling and sliding');
      rows.push(...(await windowThroughput(batches, batchesOf(all, BIG_BATCH), options)));
    }
  }
  if (want('state')) {
    progress(`generating ${RECORDS} readings over ${STATE_KEYS} keys`);
    const batches = batchesOf(readings(RECORDS, STATE_KEYS, 2), STATE_BATCH);
    console.log(`data: ${RECORDS} readings, ${STATE_KEYS} keys, ${batches.length} batches of ${STATE_BATCH}`);
    progress('updateStateByKey');
    const label = `(${STATE_KEYS / 1000}k keys, ${batches.length}×${STATE_BATCH / 1000}k)`;
    rows.push(...(await updateStateByKeyThroughput(batches, label, options)));
  }
  if (want('heap')) {
    progress('heap per key');
    rows.push(...(await windowHeapPerKey(HEAP_KEYS, HEAP_SLIDING_KEYS, 3)));
  }
  console.log('');
  for (const line of renderTable(rows)) console.log(line);
}
