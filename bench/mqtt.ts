// `npm run bench -- mqtt`: one workload (QoS 1 JSON readings from 100 sensors, 1 s tumbling count/avg/max by
// key) through (a) a raw mqtt.js subscriber that only counts, (b) a hand-rolled mqtt.js + JSON.parse + Map loop,
// (c) a Sluice gateway with durability: process, (d) with durability: fsync; each in its own process, fed by a
// replay server (measures the consumer) and by a real Mosquitto. Flags: --messages=N (200000), --window=N (1000).
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
import { renderTable, throughputRow, type Row } from './report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONSUMERS = ['raw', 'hand-rolled', 'sluice-process', 'sluice-fsync'] as const;
type Consumer = (typeof CONSUMERS)[number];
/** A consumer that has not taken every message by then is reported as NaN (the run goes on). */
const LIMIT_MS = 180_000;

interface Figures {
  rps: number;
  cpuS: number;
  peakRssBytes: number;
}

function flag(flags: readonly string[], name: string, fallback: number): number {
  const hit = flags.find((f) => f.startsWith(`--${name}=`));
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3));
}

/** Starts a consumer process; resolves once it is subscribed, with a promise of its `done` report. */
async function startConsumer(
  kind: Consumer,
  url: string,
  n: number,
  tmp: string,
): Promise<{ child: ChildProcess; done: Promise<{ cpuS: number; peakRssBytes: number; atMs: number }> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(HERE, 'mqtt', 'consumer.ts'), kind, url, String(n), tmp],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
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

async function viaReplay(kind: Consumer, packets: Buffer[], window: number, tmp: string): Promise<Figures> {
  const server = await startReplayServer(packets, window);
  try {
    const { child, done } = await startConsumer(kind, server.url, packets.length, tmp);
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

async function viaMosquitto(kind: Consumer, url: string, n: number, tmp: string): Promise<Figures> {
  const { child, done } = await startConsumer(kind, url, n, tmp);
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
  return { rps: n / ((atMs - started) / 1000), cpuS, peakRssBytes };
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function rssRow(scenario: string, sluice: number, baseline: number, maxRatio: number): Row {
  const ratio = sluice / baseline;
  return {
    scenario,
    sluice: mib(sluice),
    baseline: mib(baseline),
    ratio: `${ratio.toFixed(2)}×`,
    target: `≤ ${maxRatio.toFixed(2)}×`,
    verdict: ratio <= maxRatio ? 'PASS' : 'MISS',
  };
}

export async function run(flags: readonly string[]): Promise<void> {
  const n = flag(flags, 'messages', 200_000);
  const window = flag(flags, 'window', 1000);
  const out: string[] = [];
  const print = (line: string): void => {
    out.push(line);
    console.log(line);
  };
  print(describeMachine());
  print(
    `mqtt: ${n} QoS 1 JSON readings, 100 sensors, 1 s tumbling count/avg/max; window ${window} unacknowledged`,
  );
  const tmp = await mkdtemp(path.join(tmpdir(), 'sluice-bench-mqtt-'));
  const packets = encodePublishes(n);
  const results = new Map<string, Figures>();
  // Unlimited queue: a consumer slower than the publisher must get every message, not the first 100 000.
  const broker = await startMosquitto({
    maxInflightMessages: window,
    extraConfig: ['max_queued_messages 0'],
  });
  try {
    for (const source of ['replay', 'mosquitto'] as const) {
      for (const kind of CONSUMERS) {
        process.stderr.write(`  ${source}: ${kind}\n`);
        const attempt =
          source === 'replay'
            ? viaReplay(kind, packets, window, tmp)
            : viaMosquitto(kind, broker.url, n, tmp);
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<Figures>((resolve) => {
          timer = setTimeout(() => {
            process.stderr.write(`  ${source}: ${kind} did not finish within ${LIMIT_MS} ms\n`);
            resolve({ rps: NaN, cpuS: NaN, peakRssBytes: NaN });
          }, LIMIT_MS);
        });
        const figures = await Promise.race([attempt, limit]);
        clearTimeout(timer);
        results.set(`${source}/${kind}`, figures);
      }
    }
  } finally {
    await broker.close();
    await rm(tmp, { recursive: true, force: true });
  }

  print('');
  print(
    `${'source'.padEnd(10)} ${'consumer'.padEnd(16)} ${'records/s'.padStart(10)} ${'CPU s'.padStart(7)} ${'peak RSS'.padStart(9)}`,
  );
  for (const [key, f] of results) {
    const [source = '', kind = ''] = key.split('/');
    print(
      `${source.padEnd(10)} ${kind.padEnd(16)} ${Math.round(f.rps).toString().padStart(10)} ${f.cpuS.toFixed(2).padStart(7)} ${mib(f.peakRssBytes).padStart(9)}`,
    );
  }
  print('');
  const rows: Row[] = [];
  for (const source of ['replay', 'mosquitto'] as const) {
    const get = (k: Consumer): Figures =>
      results.get(`${source}/${k}`) ?? { rps: NaN, cpuS: NaN, peakRssBytes: NaN };
    rows.push(
      throughputRow(
        `${source}: (c) process vs (b) hand-rolled`,
        get('sluice-process').rps,
        get('hand-rolled').rps,
        0.8,
      ),
    );
    rows.push(
      rssRow(
        `${source}: (c) peak RSS vs (b)`,
        get('sluice-process').peakRssBytes,
        get('hand-rolled').peakRssBytes,
        1.3,
      ),
    );
    rows.push(
      throughputRow(
        `${source}: (d) fsync vs (c) process`,
        get('sluice-fsync').rps,
        get('sluice-process').rps,
        0.5,
      ),
    );
    rows.push(throughputRow(`${source}: (b) hand-rolled vs (a) raw`, get('hand-rolled').rps, get('raw').rps));
  }
  for (const line of renderTable(rows)) print(line);

  const dir = path.join(HERE, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `mqtt-${new Date().toISOString().slice(0, 10)}.txt`);
  await writeFile(file, `${out.join('\n')}\n`);
  process.stderr.write(`  saved ${path.relative(process.cwd(), file)}\n`);
}
