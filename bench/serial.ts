// `npm run bench -- serial`: line-framed CSV (the line-sensor simulator's readings, 10 sensors) written as fast as
// a socat pty takes it, read by (a) a raw serialport + ReadlineParser reader that only counts lines and (b) a
// Sluice gateway: the serial receiver, the intake (CSV decode, key, event time, LevelDB WAL) and a 1 s windowed
// pipeline. Each consumer runs in its own process on a fresh pty pair; the clock runs from the first byte written
// to the consumer's report that it has every line (for Sluice: every line a record in the WAL). Runs alternate
// the consumers; the ratio is per run, the table shows the median and range. Both consumers run as compiled
// JavaScript (compile.ts, as the MQTT bench), Sluice with the systemd unit's Node flags, as it runs when installed.
// Flags: --lines=N (200000), --runs=N (3), --profile=DIR (the Sluice consumer writes a V8 CPU profile there:
// --cpu-prof, exiting once done).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LineSensor } from '../hardware/simulators/line-sensor.js';
import { closeSimulatorPort, openSimulatorPort, writeAndDrain } from '../hardware/simulators/stream.js';
import { startPtyPair } from '../test/support/pty-pair.js';
import { compileConsumer, deployedNodeFlags } from './compile.js';
import { describeMachine } from './machine.js';
import { median as medianOf } from './measure.js';
import { renderTable, type Row } from './report.js';
import { numberFlag } from './flags.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONSUMER = path.join(HERE, 'serial', 'consumer.ts');

/** The compiled consumer, and the Node flags Sluice's consumer runs with. */
interface Launch {
  script: string;
  sluiceFlags: readonly string[];
  /** --profile: where the Sluice consumer writes its CPU profile. */
  profileDir?: string | undefined;
}
const KINDS = ['raw', 'sluice'] as const;
type Kind = (typeof KINDS)[number];
const TARGET = 0.7;
/** Bytes per write: what a fast device (or a USB adapter's bulk transfer) hands over at once. */
const CHUNK = 16 * 1024;
const LIMIT_MS = 300_000;

/** Garbage collection time in the consumer, ms: scavenges and mark-compacts. */
interface GcMs {
  minor: number;
  major: number;
}

interface Figures {
  lps: number;
  cpuS: number;
  /** Of cpuS, the main thread's (the rest: libuv's and LevelDB's threads). */
  mainCpuS: number;
  peakRssBytes: number;
  gcMs: GcMs;
}

/** The workload: n CSV lines of 10 sensors, 100 readings a second each in event time. */
function workload(n: number): Buffer[] {
  const sensor = new LineSensor({ sensors: 10, startMs: Date.UTC(2026, 10, 25), stepMs: 10 });
  const chunks: Buffer[] = [];
  let text = '';
  for (let i = 0; i < n; i++) {
    text += `${sensor.nextLine()}\n`;
    if (text.length >= CHUNK) {
      chunks.push(Buffer.from(text));
      text = '';
    }
  }
  if (text !== '') chunks.push(Buffer.from(text));
  return chunks;
}

async function runOne(
  launch: Launch,
  kind: Kind,
  chunks: readonly Buffer[],
  n: number,
  tmp: string,
): Promise<Figures> {
  const pty = await startPtyPair();
  let child: ChildProcess | undefined;
  try {
    const profile = kind === 'sluice' && launch.profileDir !== undefined;
    const flags = kind === 'sluice' ? [...launch.sluiceFlags] : [];
    if (profile) flags.push('--cpu-prof', `--cpu-prof-dir=${launch.profileDir}`);
    const proc = spawn(process.execPath, [...flags, launch.script, kind, pty.devPath, String(n), tmp], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: profile ? { ...process.env, BENCH_EXIT: '1' } : process.env,
    });
    child = proc;
    const lines = createInterface({ input: proc.stdout });
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const done = new Promise<Omit<Figures, 'lps'> & { atMs: number }>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${kind} did not take ${n} lines within ${LIMIT_MS} ms`));
      }, LIMIT_MS);
      lines.on('line', (line) => {
        if (line === 'ready') ready();
        else if (line.startsWith('done ')) {
          clearTimeout(timer);
          const atMs = performance.now();
          const report = JSON.parse(line.slice(5)) as Omit<Figures, 'lps'>;
          resolve({ ...report, atMs });
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`consumer ${kind} exited with ${String(code)} before done`));
      });
    });
    done.catch(() => undefined);
    await isReady;
    const device = await openSimulatorPort(pty.simPath, 115_200);
    const started = performance.now();
    for (const chunk of chunks) await writeAndDrain(device, chunk);
    const { atMs, ...report } = await done;
    await closeSimulatorPort(device);
    // The profile is written when the consumer exits on its own (BENCH_EXIT), not when it is killed.
    if (profile && proc.exitCode === null) await new Promise((resolve) => proc.once('exit', resolve));
    return { lps: n / ((atMs - started) / 1000), ...report };
  } finally {
    child?.kill('SIGKILL');
    await pty.close();
  }
}

/** The median of the runs that finished. */
function median(values: readonly number[]): number {
  const done = values.filter((v) => !Number.isNaN(v));
  return done.length === 0 ? NaN : medianOf(done);
}

export async function run(flags: readonly string[]): Promise<void> {
  const n = numberFlag(flags, 'lines', 200_000);
  const runs = numberFlag(flags, 'runs', 3);
  const chunks = workload(n);
  const launch: Launch = {
    script: await compileConsumer(CONSUMER, 'bench-serial'),
    sluiceFlags: await deployedNodeFlags(),
    profileDir: flags.find((f) => f.startsWith('--profile='))?.slice('--profile='.length),
  };
  const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  console.log(describeMachine());
  console.log(
    `serial: ${n} CSV lines (${(bytes / 2 ** 20).toFixed(1)} MiB, 10 sensors) over a socat pty; ${runs} run(s), consumers alternating, ` +
      `compiled; Sluice with the systemd unit's Node flags (${launch.sluiceFlags.join(' ')})`,
  );
  const tmp = await mkdtemp(path.join(tmpdir(), 'sluice-bench-serial-'));
  const figures: Record<Kind, Figures[]> = { raw: [], sluice: [] };
  try {
    for (let r = 0; r < runs; r++) {
      // Alternate which consumer goes first, so a drift in machine load does not favour one.
      const order = r % 2 === 0 ? KINDS : [...KINDS].reverse();
      for (const kind of order) {
        let result: Figures;
        try {
          result = await runOne(launch, kind, chunks, n, tmp);
        } catch (err) {
          console.error(`  run ${r + 1} ${kind}: ${(err as Error).message}`);
          result = {
            lps: NaN,
            cpuS: NaN,
            mainCpuS: NaN,
            peakRssBytes: NaN,
            gcMs: { minor: NaN, major: NaN },
          };
        }
        figures[kind].push(result);
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  console.log('');
  console.log('run  consumer   lines/s   CPU s (main thread)  peak RSS  GC ms (scavenge + mark-compact)');
  for (let r = 0; r < runs; r++) {
    for (const kind of KINDS) {
      const f = figures[kind][r];
      if (f === undefined) continue;
      console.log(
        `${String(r + 1).padStart(3)}  ${kind.padEnd(8)} ${String(Math.round(f.lps)).padStart(9)}  ${f.cpuS.toFixed(2).padStart(6)} (${f.mainCpuS.toFixed(2)})  ${(f.peakRssBytes / 2 ** 20).toFixed(0).padStart(4)} MiB  ${f.gcMs.minor.toFixed(0).padStart(5)} + ${f.gcMs.major.toFixed(0)}`,
      );
    }
  }
  const ratios = figures.sluice.map((f, i) => f.lps / (figures.raw[i]?.lps ?? NaN));
  const m = median(ratios);
  const ok = ratios.filter((x) => !Number.isNaN(x));
  const row: Row = {
    scenario: 'pty CSV: sluice (receiver+intake+1 s windows) vs raw ReadlineParser',
    sluice: `${Math.round(median(figures.sluice.map((f) => f.lps)))} lines/s`,
    baseline: `${Math.round(median(figures.raw.map((f) => f.lps)))} lines/s`,
    ratio:
      ok.length < 2
        ? `${m.toFixed(2)}×`
        : `${m.toFixed(2)}× (${Math.min(...ok).toFixed(2)}–${Math.max(...ok).toFixed(2)})`,
    target: `≥ ${TARGET.toFixed(2)}×`,
    verdict: Number.isNaN(m) ? 'MISS' : m >= TARGET ? 'PASS' : 'MISS',
  };
  console.log('');
  for (const line of renderTable([row])) console.log(line);
  // CPU per line: what a real line (115200 baud: ~340 lines/s of these) costs, whatever the pty's speed.
  const perLine = (kind: Kind): string => ((median(figures[kind].map((f) => f.cpuS)) / n) * 1e6).toFixed(1);
  console.log(
    `CPU per line (process total incl. startup after ready): sluice ${perLine('sluice')} µs, raw ${perLine('raw')} µs`,
  );
}
