// `npm run bench -- mqtt`: one workload (QoS 1 JSON readings from 100 sensors, 1 s tumbling count/avg/max by
// key) through (a) a raw mqtt.js subscriber that only counts, (b) a hand-rolled mqtt.js + JSON.parse + Map loop,
// (c) a Sluice gateway with durability: process, (d) with durability: fsync; each in its own process, fed by a
// replay server (measures the consumer) and by a real Mosquitto. Every consumer runs as compiled JavaScript, as
// a user runs dist/ (a TypeScript loader in the child would count its transform time and memory against the
// consumer, and against Sluice far more than against the baselines, whose code is a few lines). Sluice runs with
// the Node flags of the systemd unit (systemd/sluice.service: its heap cap), as it runs when installed; the
// baselines with Node's defaults.
// Flags: --messages=N (200000), --window=N (1000), --runs=N (1: each run takes every consumer in turn; ratios are
// per run, the table shows their median and range), --source=replay|mosquitto (both), --consumers=a,b (all).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startMosquitto } from '../test/support/mosquitto.js';
import { describeMachine } from './machine.js';
import { startReplayServer } from './mqtt/replay-server.js';
import { encodePublishes, payloadOf, topicOf } from './mqtt/workload.js';
import { compileConsumer, deployedNodeFlags } from './compile.js';
import { renderTable, type Row } from './report.js';
import { numberFlag, textFlag } from './flags.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** hand-rolled+flags: the hand-rolled loop with Sluice's Node flags, so the memory row shows both comparisons. */
const CONSUMERS = ['raw', 'hand-rolled', 'hand-rolled+flags', 'sluice-process', 'sluice-fsync'] as const;
type Consumer = (typeof CONSUMERS)[number];
const SOURCES = ['replay', 'mosquitto'] as const;
/** A consumer that has not taken every message by then is reported as NaN (the run goes on). */
const LIMIT_MS = 180_000;

/** The compiled consumer, and the Node flags Sluice's consumers run with. */
interface Launch {
  script: string;
  sluiceFlags: readonly string[];
}

interface Figures {
  rps: number;
  cpuS: number;
  peakRssBytes: number;
}

/** A comma-separated flag restricted to `known`; absent: all of them. */
function listFlag<T extends string>(flags: readonly string[], name: string, known: readonly T[]): T[] {
  const hit = textFlag(flags, name);
  if (hit === undefined) return [...known];
  const picked = hit.split(',');
  const unknown = picked.filter((p) => !(known as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(`--${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return picked as T[];
}

/** Starts a consumer process; resolves once it is subscribed, with a promise of its `done` report. */
async function startConsumer(
  consumer: Launch,
  kind: Consumer,
  url: string,
  n: number,
  tmp: string,
): Promise<{ child: ChildProcess; done: Promise<{ cpuS: number; peakRssBytes: number; atMs: number }> }> {
  const flags = kind.startsWith('sluice') || kind === 'hand-rolled+flags' ? consumer.sluiceFlags : [];
  const code = kind === 'hand-rolled+flags' ? 'hand-rolled' : kind;
  const child = spawn(process.execPath, [...flags, consumer.script, code, url, String(n), tmp], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  const done = new Promise<{ cpuS: number; peakRssBytes: number; atMs: number }>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') ready();
      else if (line.startsWith('done ')) {
        resolve({
          ...(JSON.parse(line.slice(5)) as { cpuS: number; peakRssBytes: number }),
          atMs: performance.now(),
        });
      }
    });
    child.on('exit', (code) => {
      reject(new Error(`consumer ${kind} exited with ${String(code)} before done`));
    });
  });
  done.catch(() => undefined);
  await Promise.race([isReady, done]);
  return { child, done };
}

async function viaReplay(
  consumer: Launch,
  kind: Consumer,
  packets: Buffer[],
  window: number,
  tmp: string,
): Promise<Figures> {
  const server = await startReplayServer(packets, window);
  try {
    const { child, done } = await startConsumer(consumer, kind, server.url, packets.length, tmp);
    try {
      // Timed until the server has every PUBACK: for Sluice, every message is durable by then.
      const ms = await server.run();
      const { cpuS, peakRssBytes } = await done;
      return { rps: packets.length / (ms / 1000), cpuS, peakRssBytes };
    } finally {
      child.kill('SIGKILL');
    }
  } finally {
    await server.close();
  }
}

async function viaMosquitto(
  consumer: Launch,
  kind: Consumer,
  url: string,
  n: number,
  tmp: string,
): Promise<Figures> {
  const { child, done } = await startConsumer(consumer, kind, url, n, tmp);
  const publisher = await mqtt.connectAsync(url, { clientId: `bench-publisher-${kind}`, reconnectPeriod: 0 });
  const started = performance.now();
  for (let i = 0; i < n; i += 1000) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++)
      batch.push(publisher.publishAsync(topicOf(j), payloadOf(j), { qos: 1 }));
    await Promise.all(batch);
  }
  const { cpuS, peakRssBytes, atMs } = await done;
  await publisher.endAsync();
  child.kill('SIGKILL');
  if (kind.startsWith('sluice')) {
    // Sluice's session is persistent (clean: false): end it, or the broker queues every later run's messages
    // for it, and the next Sluice consumer with that client id starts with a backlog.
    const sweeper = await mqtt.connectAsync(url, {
      clientId: sluiceClientId(kind),
      clean: true,
      reconnectPeriod: 0,
    });
    await sweeper.endAsync();
  }
  return { rps: n / ((atMs - started) / 1000), cpuS, peakRssBytes };
}

/** The client id the consumer gives a Sluice gateway (bench/mqtt/consumer.ts). */
function sluiceClientId(kind: Consumer): string {
  return `bench-${kind}`;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const NO_FIGURES: Figures = { rps: NaN, cpuS: NaN, peakRssBytes: NaN };

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** Median of per-run ratios, with their range when there are several runs. */
function ratioText(ratios: readonly number[]): string {
  const ok = ratios.filter((r) => !Number.isNaN(r));
  const m = median(ok);
  if (ok.length < 2) return `${m.toFixed(2)}×`;
  return `${m.toFixed(2)}× (${Math.min(...ok).toFixed(2)}–${Math.max(...ok).toFixed(2)})`;
}

/** A row comparing Sluice with a baseline run by run: the verdict is on the median of the per-run ratios. */
function ratioRow(
  scenario: string,
  sluice: readonly Figures[],
  baseline: readonly Figures[],
  metric: 'rps' | 'peakRssBytes',
  target?: { min?: number; max?: number },
): Row {
  const ratios = sluice.map((f, i) => f[metric] / (baseline[i]?.[metric] ?? NaN));
  const m = median(ratios);
  const show = (fs: readonly Figures[]): string => {
    const v = median(fs.map((f) => f[metric]));
    return metric === 'rps' ? `${Math.round(v)} rec/s` : mib(v);
  };
  let verdict: Row['verdict'] = 'info';
  let targetText = '—';
  if (target?.min !== undefined) {
    targetText = `≥ ${target.min.toFixed(2)}×`;
    verdict = m >= target.min ? 'PASS' : 'MISS';
  } else if (target?.max !== undefined) {
    targetText = `≤ ${target.max.toFixed(2)}×`;
    verdict = m <= target.max ? 'PASS' : 'MISS';
  }
  return {
    scenario,
    sluice: show(sluice),
    baseline: show(baseline),
    ratio: ratioText(ratios),
    target: targetText,
    verdict,
  };
}

export async function run(flags: readonly string[]): Promise<void> {
  const n = numberFlag(flags, 'messages', 200_000);
  const window = numberFlag(flags, 'window', 1000);
  const runs = Math.max(1, numberFlag(flags, 'runs', 1));
  const sources = listFlag(flags, 'source', SOURCES);
  const consumers = listFlag(flags, 'consumers', CONSUMERS);
  const out: string[] = [];
  const print = (line: string): void => {
    out.push(line);
    console.log(line);
  };
  print(describeMachine());
  const consumer: Launch = {
    script: await compileConsumer(path.join(HERE, 'mqtt', 'consumer.ts'), 'bench-mqtt'),
    sluiceFlags: await deployedNodeFlags(),
  };
  print(
    `mqtt: ${n} QoS 1 JSON readings, 100 sensors, 1 s tumbling count/avg/max; window ${window} unacknowledged; ` +
      `${runs} run(s), consumers as compiled JavaScript; Sluice with the systemd unit's Node flags ` +
      `(${consumer.sluiceFlags.join(' ') || 'none'})`,
  );
  const tmp = await mkdtemp(path.join(tmpdir(), 'sluice-bench-mqtt-'));
  const packets = encodePublishes(n);
  /** Figures per `source/consumer`, one per run. */
  const results = new Map<string, Figures[]>();
  // Unlimited queue: a consumer slower than the publisher must get every message, not the first 100 000.
  const broker = sources.includes('mosquitto')
    ? await startMosquitto({ maxInflightMessages: window, extraConfig: ['max_queued_messages 0'] })
    : undefined;
  try {
    for (let r = 0; r < runs; r++) {
      for (const source of sources) {
        for (const kind of consumers) {
          process.stderr.write(`  run ${r + 1}/${runs} ${source}: ${kind}\n`);
          const attempt =
            source === 'replay' || broker === undefined
              ? viaReplay(consumer, kind, packets, window, tmp)
              : viaMosquitto(consumer, kind, broker.url, n, tmp);
          let timer: NodeJS.Timeout | undefined;
          const limit = new Promise<Figures>((resolve) => {
            timer = setTimeout(() => {
              process.stderr.write(`  ${source}: ${kind} did not finish within ${LIMIT_MS} ms\n`);
              resolve(NO_FIGURES);
            }, LIMIT_MS);
          });
          const figures = await Promise.race([attempt, limit]);
          clearTimeout(timer);
          const key = `${source}/${kind}`;
          results.set(key, [...(results.get(key) ?? []), figures]);
        }
      }
    }
  } finally {
    await broker?.close();
    await rm(tmp, { recursive: true, force: true });
  }

  print('');
  print(
    `${'source'.padEnd(10)} ${'consumer'.padEnd(16)} ${'records/s'.padStart(10)} ${'CPU s'.padStart(7)} ${'peak RSS'.padStart(9)}` +
      (runs > 1 ? '  (medians of the runs)' : ''),
  );
  for (const [key, fs] of results) {
    const [source = '', kind = ''] = key.split('/');
    print(
      `${source.padEnd(10)} ${kind.padEnd(16)} ${Math.round(median(fs.map((f) => f.rps)))
        .toString()
        .padStart(10)} ${median(fs.map((f) => f.cpuS))
        .toFixed(2)
        .padStart(7)} ${mib(median(fs.map((f) => f.peakRssBytes))).padStart(9)}`,
    );
  }
  print('');
  const rows: Row[] = [];
  const pairs: [string, Consumer, Consumer, 'rps' | 'peakRssBytes', { min?: number; max?: number }?][] = [
    ['(c) process vs (b) hand-rolled', 'sluice-process', 'hand-rolled', 'rps', { min: 0.8 }],
    ['(c) peak RSS vs (b)', 'sluice-process', 'hand-rolled', 'peakRssBytes', { max: 1.3 }],
    ["(c) peak RSS vs (b) with Sluice's flags", 'sluice-process', 'hand-rolled+flags', 'peakRssBytes'],
    ['(d) fsync vs (c) process', 'sluice-fsync', 'sluice-process', 'rps', { min: 0.5 }],
    ['(b) hand-rolled vs (a) raw', 'hand-rolled', 'raw', 'rps'],
  ];
  for (const source of sources) {
    for (const [name, sluice, baseline, metric, target] of pairs) {
      const a = results.get(`${source}/${sluice}`);
      const b = results.get(`${source}/${baseline}`);
      if (a !== undefined && b !== undefined) rows.push(ratioRow(`${source}: ${name}`, a, b, metric, target));
    }
  }
  for (const line of renderTable(rows)) print(line);

  if (sources.length < SOURCES.length || consumers.length < CONSUMERS.length) {
    process.stderr.write('  a partial run: not saved to bench/results\n');
    return;
  }
  const dir = path.join(HERE, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `mqtt-${new Date().toISOString().slice(0, 10)}.txt`);
  await writeFile(file, `${out.join('\n')}\n`);
  process.stderr.write(`  saved ${path.relative(process.cwd(), file)}\n`);
}
