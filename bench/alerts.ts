// The alert benchmark: rule evaluations per second for 10k keys (one window result per key per batch, a CEL
// condition with `for` and hysteresis) beside a hand-rolled loop running the same state machine with plain JS
// comparisons, in the same run (`npm run bench -- alerts [--repeats=N]`). The ratio is the price of CEL and
// of a checkpointable operator; both must emit the same notifications.
import { alertRule, type AlertInput } from '../operators/alerts/index.js';
import { feed, newContext, timeBatches, timeLoop, BATCH_MS } from './engine/feed.js';
import { describeMachine } from './machine.js';
import { gcSource } from './gc.js';
import { medianTimes, recordsPerSecond, type MeasureOptions, type RunResult } from './measure.js';
import { renderTable, throughputRow } from './report.js';
import { Sink } from './sink.js';
import { textFlag } from './flags.js';

const KEYS = 10_000;
const BATCHES = 100;
const FOR_MS = 2 * BATCH_MS;

type Item = [string, AlertInput];

/** Deterministic temperatures that wander across the thresholds (38 and 40) now and then. */
function batchesOf(keys: number, batches: number): Item[][] {
  const names = Array.from({ length: keys }, (_, k) => `t-${k}`);
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const temps = names.map(() => 30 + random() * 10);
  return Array.from({ length: batches }, (_, b) =>
    names.map((key, k): Item => {
      temps[k] = Math.min(45, Math.max(30, (temps[k] ?? 35) + (random() - 0.5) * 4));
      return [key, { timeMs: (b + 1) * BATCH_MS, values: { temp_max: temps[k] } }];
    }),
  );
}

export async function run(flags: readonly string[]): Promise<void> {
  const repeats = Number(textFlag(flags, 'repeats') ?? 5);
  const options: MeasureOptions = { warmup: 2, repeats };
  const batches = batchesOf(KEYS, BATCHES);
  const records = KEYS * BATCHES;
  console.log('# alerts');
  console.log(`machine: ${describeMachine()}`);
  console.log(`date: ${new Date().toISOString()} · gc: ${gcSource}`);
  console.log(`data: ${KEYS} keys, ${BATCHES} batches of one window result per key`);
  console.log('rule: when temp_max > 40.0, for 2s, clear temp_max < 38.0');

  const sluice = (): Promise<RunResult> => {
    const sink = new Sink();
    const ctx = newContext();
    alertRule(feed(ctx, batches), {
      id: 'overheat',
      gateway: 'bench',
      when: 'temp_max > 40.0',
      clear: 'temp_max < 38.0',
      forMs: FOR_MS,
    })
      .named('alert/overheat')
      .foreachBatch((items) => {
        for (const n of items) sink.emit(n.status === 'firing' ? 1 : 2, n.startsAt);
      });
    return timeBatches(ctx, batches.length, sink);
  };

  const handRolled = (): Promise<RunResult> => {
    const sink = new Sink();
    return timeLoop(() => {
      const states = new Map<string, { firing: boolean; since: number; startsAt: number }>();
      for (const batch of batches) {
        for (const [key, { timeMs: t, values }] of batch) {
          const temp = values.temp_max as number;
          const s = states.get(key);
          if (s === undefined || !s.firing) {
            if (!(temp > 40)) {
              states.delete(key);
              continue;
            }
            const since = s?.since ?? t;
            if (t - since >= FOR_MS) {
              states.set(key, { firing: true, since, startsAt: t });
              sink.emit(1, t);
            } else if (s === undefined) states.set(key, { firing: false, since, startsAt: 0 });
          } else if (temp < 38) {
            states.delete(key);
            sink.emit(2, s.startsAt);
          }
        }
      }
    }, sink);
  };

  const ms = await medianTimes(
    [
      { name: 'sluice', run: sluice, oracle: 'alerts' },
      { name: 'hand-rolled', run: handRolled, oracle: 'alerts' },
    ],
    options,
  );
  const rps = (name: string): number => recordsPerSecond(records, ms.get(name));
  console.log('');
  for (const line of renderTable([
    throughputRow(`alertRule evaluations (${KEYS / 1000}k keys)`, rps('sluice'), rps('hand-rolled')),
  ]))
    console.log(line);
}
