// The soak's verdicts: least-squares slopes of the samples after warm-up, checked against stated bounds.

export interface Sample {
  /** Seconds since the daemon started. */
  readonly t: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  /** Event-loop delay p99 over prom-client's monitoring window, ms. */
  readonly loopP99Ms: number;
  readonly loopMeanMs: number;
  /** Entries of /proc/<pid>/fd. */
  readonly fds: number;
  /** Bytes of the LevelDB directory, MiB. */
  readonly leveldbMiB: number;
  readonly kafkaOutbox: number;
  /** 1 while the soak has the Kafka broker down. */
  readonly kafkaDown: 0 | 1;
  /** Records taken by all receivers so far. */
  readonly records: number;
}

export const COLUMNS: readonly (keyof Sample)[] = [
  't',
  'rssMiB',
  'heapUsedMiB',
  'heapTotalMiB',
  'loopP99Ms',
  'loopMeanMs',
  'fds',
  'leveldbMiB',
  'kafkaOutbox',
  'kafkaDown',
  'records',
];

/** Least-squares slope of y over t, per minute (t in seconds); NaN below two samples. */
export function slopePerMinute(samples: readonly Sample[], y: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return NaN;
  let st = 0;
  let sy = 0;
  for (const s of samples) {
    st += s.t;
    sy += y(s);
  }
  const mt = st / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mt) * (y(s) - my);
    den += (s.t - mt) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 60;
}

export interface Check {
  readonly what: string;
  readonly measured: string;
  readonly bound: string;
  readonly ok: boolean;
}

/** Bounds on growth after warm-up. A leak shows as a slope that does not flatten; flapping averages out. */
export const BOUNDS = {
  rssMiBPerMin: 1,
  heapUsedMiBPerMin: 0.5,
  leveldbMiBPerMin: 1,
  /** Open files may rise this much above the warm-up's most (a reconnect in flight holds a socket). */
  extraFds: 8,
  /** The last third's mean event-loop p99 may be at most this factor of the first third's, plus 20 ms. */
  loopGrowthFactor: 2,
} as const;

function third(samples: readonly Sample[], which: 0 | 2): Sample[] {
  const size = Math.max(1, Math.floor(samples.length / 3));
  return which === 0 ? samples.slice(0, size) : samples.slice(-size);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Every growth check on the samples after warm-up (`warm` are the warm-up samples). */
export function growthChecks(warm: readonly Sample[], after: readonly Sample[]): Check[] {
  const slope = (what: string, unit: string, y: (s: Sample) => number, bound: number): Check => {
    const s = slopePerMinute(after, y);
    return {
      what: `${what} slope after warm-up`,
      measured: `${s.toFixed(3)} ${unit}/min`,
      bound: `≤ ${bound} ${unit}/min`,
      ok: s <= bound,
    };
  };
  const warmFds = Math.max(...warm.map((s) => s.fds));
  const maxFds = Math.max(...after.map((s) => s.fds));
  const firstLoop = mean(third(after, 0).map((s) => s.loopP99Ms));
  const lastLoop = mean(third(after, 2).map((s) => s.loopP99Ms));
  const loopBound = firstLoop * BOUNDS.loopGrowthFactor + 20;
  return [
    slope('RSS', 'MiB', (s) => s.rssMiB, BOUNDS.rssMiBPerMin),
    slope('heap used', 'MiB', (s) => s.heapUsedMiB, BOUNDS.heapUsedMiBPerMin),
    slope('LevelDB size', 'MiB', (s) => s.leveldbMiB, BOUNDS.leveldbMiBPerMin),
    {
      what: 'open files after warm-up',
      measured: `max ${maxFds}`,
      bound: `≤ ${warmFds + BOUNDS.extraFds} (warm-up max ${warmFds} + ${BOUNDS.extraFds})`,
      ok: maxFds <= warmFds + BOUNDS.extraFds,
    },
    {
      what: 'event-loop delay p99, last third vs first third',
      measured: `${lastLoop.toFixed(1)} ms vs ${firstLoop.toFixed(1)} ms`,
      bound: `≤ ${loopBound.toFixed(1)} ms (${BOUNDS.loopGrowthFactor}× + 20 ms)`,
      ok: lastLoop <= loopBound,
    },
  ];
}
