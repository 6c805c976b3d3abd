// Timing of contenders in one process: warm-up runs, then rounds that run every contender once in turn (after a
// full gc), so machine noise hits all of them alike; each contender's figure is its median run.
import { fullGc } from './gc.js';
import { sameChecksum, type Checksum } from './sink.js';

export interface RunResult {
  /** Time of the measured work alone (setup excluded), in milliseconds. */
  readonly ms: number;
  readonly checksum: Checksum;
}

export interface Contender {
  readonly name: string;
  /** Builds what it needs untimed, times the work, returns the time and its output's checksum. */
  readonly run: () => Promise<RunResult>;
  /** Contenders with the same oracle must produce the same checksum (they compute the same outputs). */
  readonly oracle?: string;
}

export interface MeasureOptions {
  /** Untimed runs of each contender first (default 2). */
  readonly warmup?: number;
  /** Timed rounds (default 5). */
  readonly repeats?: number;
}

export async function medianTimes(
  contenders: readonly Contender[],
  options: MeasureOptions = {},
): Promise<Map<string, number>> {
  const warmup = options.warmup ?? 2;
  const repeats = options.repeats ?? 5;
  const runs = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const sums = new Map<string, Checksum>();
  for (let round = 0; round < warmup + repeats; round++) {
    for (const c of contenders) {
      fullGc();
      const { ms, checksum } = await c.run();
      if (round >= warmup) runs.get(c.name)?.push(ms);
      checkOracle(c, checksum, sums);
    }
    const phase = round < warmup ? 'warm-up' : 'round';
    const n = round < warmup ? round + 1 : round - warmup + 1;
    process.stderr.write(`  ${phase} ${n}: ${contenders.map((c) => c.name).join(', ')}\n`);
  }
  const medians = new Map([...runs].map(([name, ms]) => [name, median(ms)]));
  process.stderr.write(
    `  medians: ${[...medians].map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join(', ')}\n`,
  );
  return medians;
}

/** Median of the samples (mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

// A benchmark whose contenders disagree measures nothing: fail loudly rather than print its figures.
function checkOracle(c: Contender, sum: Checksum, seen: Map<string, Checksum>): void {
  if (c.oracle === undefined) return;
  const first = seen.get(c.oracle);
  if (first === undefined) seen.set(c.oracle, sum);
  else if (!sameChecksum(first, sum)) {
    throw new Error(
      `${c.name} disagrees with its oracle group "${c.oracle}": ${JSON.stringify(sum)} vs ${JSON.stringify(first)}`,
    );
  }
}

/** Throughput of `records` done in `ms` milliseconds (NaN when no time was measured). */
export function recordsPerSecond(records: number, ms: number | undefined): number {
  return ms === undefined ? NaN : records / (ms / 1000);
}
