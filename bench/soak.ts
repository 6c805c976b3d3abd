// `npm run soak -- --minutes N`: the built daemon under steady load from every kind of receiver (MQTT QoS 1 through
// Mosquitto, the simulator, a JSON line sensor on a socat pty when socat exists) into a file sink and a Kafka sink
// whose broker (librdkafka's mock cluster) goes down and comes back every minute. Every few seconds it samples
// RSS, heap, event-loop delay (the daemon's /metrics), open files (/proc/<pid>/fd) and the LevelDB size and
// Kafka outbox (/api/v1/status). After warm-up it checks growth against the bounds in soak/trend.ts, then that
// everything published was taken and the outbox drained; any miss exits 1 naming it. Writes
// bench/results/soak-<date>.csv, .svg and .txt. Flags: --minutes=N (30), --warmup=M minutes (N/6, at most 5),
// --interval=S seconds between samples (5), --rate=R MQTT messages per second (500), --worktree (build the daemon
// from the working tree instead of HEAD).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startKafkaMock, type KafkaMock } from '../test/support/kafka-mock.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { startPtyPair, type PtyPair } from '../test/support/pty-pair.js';
import { describeMachine } from './machine.js';
import { buildDaemon, startBuiltDaemon, type BuiltDaemon } from './peers/daemon.js';
import { renderSvg } from './soak/plot.js';
import { BOUNDS, COLUMNS, growthChecks, type Check, type Sample } from './soak/trend.js';
import { numberFlag } from './flags.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The Kafka broker is down for the first DOWN_S of every FLAP_S. */
const FLAP_S = 60;
const DOWN_S = 20;
const MQTT_SENSORS = 50;
const SIM_SENSORS = 50;
const SERIAL_SENSORS = 2;
const SERIAL_LINES_PER_S = 20;
const DRAIN_TIMEOUT_MS = 120_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface StatusBody {
  receivers: Record<string, { records: number; deadLetters: number; state: string }>;
  sinks: Record<string, { outboxEntries: number; sent: number; state: string }>;
  disk: { dbBytes: number | null };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m?.[1] === undefined ? NaN : Number(m[1]);
}

async function dirBytes(dir: string): Promise<number> {
  let sum = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const s = await stat(path.join(dir, name)).catch(() => undefined);
    if (s?.isFile() === true) sum += s.size;
  }
  return sum;
}

function configYaml(o: {
  dir: string;
  mqttUrl: string;
  brokers: readonly string[];
  serialPath: string | undefined;
}): string {
  const serial =
    o.serialPath === undefined
      ? ''
      : `  line:
    type: serial
    path: ${o.serialPath}
    baudRate: 115200
    format: json
    key: sensor
    time: ts
`;
  return `gateway: { id: soak }
batch: { interval: 1s }
state: { dir: ${path.join(o.dir, 'state')}, durability: process }
api: { port: 0 }
receivers:
  mqtt: { type: mqtt, url: "${o.mqttUrl}", topics: ["sensors/+/telemetry"], qos: 1, format: json, key: "topicParts[1]", time: ts }
  sim: { type: simulator, sensors: ${SIM_SENSORS}, interval: 100ms }
${serial}pipelines:
  climate-1s:
    from: [mqtt, sim${o.serialPath === undefined ? '' : ', line'}]
    window: { length: 1s, lateness: 2s }
    aggregate: { n: count(), temp_avg: avg(temp), temp_min: min(temp), temp_max: max(temp), temp_p95: p95(temp) }
    to: [archive, upstream]
  climate-10s:
    from: [mqtt, sim${o.serialPath === undefined ? '' : ', line'}]
    window: { length: 10s, slide: 1s, lateness: 2s }
    aggregate: { n: count(), temp_avg: avg(temp), temp_max: max(temp) }
    to: [archive]
sinks:
  archive: { type: file, path: ${path.join(o.dir, 'out', 'climate.jsonl')}, rotate: { maxBytes: 16MiB, keep: 2 } }
  upstream: { type: kafka, brokers: [${o.brokers.map((b) => `"${b}"`).join(', ')}], topic: soak, connectTimeout: 1s, sendTimeout: 2s }
`;
}

/** Publishes `rate` QoS 1 readings per second from MQTT_SENSORS sensors; counts the acknowledged ones. */
async function startPublisher(url: string, rate: number) {
  const client = await mqtt.connectAsync(url, { clientId: 'soak-publisher', reconnectPeriod: 1000 });
  let acked = 0;
  let inFlight = 0;
  let skipped = 0;
  let seq = 0;
  const perTick = Math.max(1, Math.round(rate / 10));
  const timer = setInterval(() => {
    if (inFlight > rate * 10) {
      skipped += perTick; // the broker is not keeping up: do not pile up without bound in this process
      return;
    }
    const ts = Date.now();
    for (let k = 0; k < perTick; k++) {
      const i = seq++;
      const payload = JSON.stringify({ ts, temp: 20 + ((i * 7) % 31) * 0.25, hum: 40 + (i % 23) });
      inFlight += 1;
      client.publish(`sensors/m${i % MQTT_SENSORS}/telemetry`, payload, { qos: 1 }, (err) => {
        inFlight -= 1;
        if (!(err instanceof Error)) acked += 1;
      });
    }
  }, 100);
  return {
    stats: () => ({ acked, inFlight, skipped }),
    async stop(): Promise<void> {
      clearInterval(timer);
      const deadline = Date.now() + 30_000;
      while (inFlight > 0 && Date.now() < deadline) await sleep(50);
      await client.endAsync();
    },
  };
}

/** Writes JSON lines into the device side of a pty, as a line sensor would. */
async function startLineSensor(pty: PtyPair) {
  const handle: FileHandle = await open(pty.simPath, 'w');
  let written = 0;
  let failed = 0;
  const perTick = SERIAL_LINES_PER_S / 10;
  const timer = setInterval(() => {
    const ts = Date.now();
    let text = '';
    for (let k = 0; k < perTick; k++) {
      text += `${JSON.stringify({ sensor: `line-${(written + k) % SERIAL_SENSORS}`, ts, temp: 18 + (written % 13) })}\n`;
    }
    written += perTick;
    handle.write(text).catch(() => {
      failed += perTick;
    });
  }, 100);
  return {
    stats: () => ({ written, failed }),
    async stop(): Promise<void> {
      clearInterval(timer);
      await sleep(200);
      await handle.close();
    },
  };
}

async function sampleOnce(daemon: BuiltDaemon, stateDir: string, t0: number, kafkaDown: boolean) {
  const [text, status, fds] = await Promise.all([
    fetch(`${daemon.apiUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text()),
    getJson<StatusBody>(`${daemon.apiUrl}/api/v1/status`),
    readdir(`/proc/${daemon.pid}/fd`).then((l) => l.length),
  ]);
  const mib = (b: number): number => b / 2 ** 20;
  const sample: Sample = {
    t: (Date.now() - t0) / 1000,
    rssMiB: mib(metric(text, 'process_resident_memory_bytes')),
    heapUsedMiB: mib(metric(text, 'nodejs_heap_size_used_bytes')),
    heapTotalMiB: mib(metric(text, 'nodejs_heap_size_total_bytes')),
    loopP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    loopMeanMs: metric(text, 'nodejs_eventloop_lag_mean_seconds') * 1000,
    fds,
    leveldbMiB: mib(status.disk.dbBytes ?? (await dirBytes(path.join(stateDir, 'db')))),
    kafkaOutbox: status.sinks.upstream?.outboxEntries ?? NaN,
    kafkaDown: kafkaDown ? 1 : 0,
    records: Object.values(status.receivers).reduce((a, r) => a + r.records, 0),
  };
  return { sample, status };
}

export async function main(argv: readonly string[]): Promise<number> {
  const minutes = numberFlag(argv, 'minutes', 30);
  const warmupMin = numberFlag(argv, 'warmup', Math.min(5, minutes / 6));
  const intervalS = numberFlag(argv, 'interval', 5);
  const rate = numberFlag(argv, 'rate', 500);
  if (!(minutes > 0) || !(warmupMin >= 0) || warmupMin >= minutes || !(intervalS > 0) || !(rate > 0)) {
    console.error('usage: npm run soak -- --minutes N [--warmup M] [--interval S] [--rate R]');
    return 2;
  }
  const startedAt = new Date();
  const log = (line: string): void => {
    process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  log(`building the daemon`);
  const { main, source } = await buildDaemon('soak-dist', argv.includes('--worktree') ? null : 'HEAD');
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-soak-'));
  const broker = await startMosquitto({ maxInflightMessages: 100, extraConfig: ['max_queued_messages 0'] });
  const kafka: KafkaMock = await startKafkaMock({ topics: ['soak:3'] });
  const pty = existsSync('/usr/bin/socat') ? await startPtyPair() : undefined;
  if (pty === undefined) log('socat is missing: no serial line sensor in this soak');
  const configFile = path.join(dir, 'sluice.yaml');
  await writeFile(
    configFile,
    configYaml({ dir, mqttUrl: broker.url, brokers: kafka.brokers, serialPath: pty?.devPath }),
  );
  const stateDir = path.join(dir, 'state');
  let daemon: BuiltDaemon | undefined;
  let publisher: Awaited<ReturnType<typeof startPublisher>> | undefined;
  let sensor: Awaited<ReturnType<typeof startLineSensor>> | undefined;
  const samples: Sample[] = [];
  const problems: string[] = [];
  let checks: Check[] = [];
  let kafkaDown = false;
  let outages = 0;
  let last: StatusBody | undefined;
  let published = { acked: 0, inFlight: 0, skipped: 0 };
  let lines = { written: 0, failed: 0 };
  try {
    daemon = await startBuiltDaemon(main, configFile, dir);
    const d = daemon;
    log(`daemon pid ${d.pid}, API ${d.apiUrl}, state ${stateDir}`);
    // Receivers connect after 'running': start the load once MQTT and the serial port are open.
    for (let i = 0; i < 200; i++) {
      const s = await getJson<StatusBody>(`${d.apiUrl}/api/v1/status`);
      const ready = Object.values(s.receivers).every((r) => r.state === 'connected');
      if (ready) break;
      await sleep(100);
    }
    const t0 = Date.now();
    publisher = await startPublisher(broker.url, rate);
    if (pty !== undefined) sensor = await startLineSensor(pty);
    const endAt = t0 + minutes * 60_000;
    let nextFlap = t0 + FLAP_S * 1000;
    let upAt = Infinity;
    let lastLog = 0;
    while (Date.now() < endAt) {
      const now = Date.now();
      if (!kafkaDown && now >= nextFlap) {
        await kafka.down();
        kafkaDown = true;
        outages += 1;
        upAt = now + DOWN_S * 1000;
        nextFlap += FLAP_S * 1000;
      } else if (kafkaDown && now >= upAt) {
        await kafka.up();
        kafkaDown = false;
        upAt = Infinity;
      }
      if (d.child.exitCode !== null || d.child.signalCode !== null) {
        problems.push(`the daemon exited during the soak:\n${d.output().slice(-3000)}`);
        break;
      }
      try {
        const { sample, status } = await sampleOnce(d, stateDir, t0, kafkaDown);
        samples.push(sample);
        last = status;
        if (now - lastLog > 60_000) {
          lastLog = now;
          log(
            `${(sample.t / 60).toFixed(1)} min: RSS ${sample.rssMiB.toFixed(0)} MiB, heap ${sample.heapUsedMiB.toFixed(0)} MiB, loop p99 ${sample.loopP99Ms.toFixed(0)} ms, fds ${sample.fds}, LevelDB ${sample.leveldbMiB.toFixed(1)} MiB, outbox ${sample.kafkaOutbox}, records ${sample.records}`,
          );
        }
      } catch (err) {
        problems.push(`a sample failed at ${((now - t0) / 1000).toFixed(0)} s: ${(err as Error).message}`);
      }
      const nextSample = t0 + Math.ceil((Date.now() - t0 + 1) / (intervalS * 1000)) * intervalS * 1000;
      await sleep(Math.max(0, Math.min(nextSample, nextFlap, upAt, endAt) - Date.now()));
    }

    // Stop the load, bring Kafka back, and let everything drain: nothing published may be missing.
    await publisher.stop();
    published = publisher.stats();
    await sensor?.stop();
    lines = sensor?.stats() ?? lines;
    if (kafkaDown) {
      await kafka.up();
      kafkaDown = false;
    }
    log(`load stopped; draining (published ${published.acked} MQTT, ${lines.written} serial lines)`);
    const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < drainUntil && d.child.exitCode === null) {
      last = await getJson<StatusBody>(`${d.apiUrl}/api/v1/status`);
      const mqttTaken = (last.receivers.mqtt?.records ?? 0) + (last.receivers.mqtt?.deadLetters ?? 0);
      if (mqttTaken >= published.acked && (last.sinks.upstream?.outboxEntries ?? 1) === 0) break;
      await sleep(500);
    }
  } catch (err) {
    problems.push(`the soak failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await publisher?.stop().catch(() => undefined);
    await sensor?.stop().catch(() => undefined);
    await daemon?.stop();
    if (daemon !== undefined) {
      const { code, signal } = await daemon.exited;
      if (code !== 0) problems.push(`the daemon exited with ${String(code ?? signal)} on SIGTERM`);
    }
    await pty?.close();
    await kafka.stop();
    await broker.close();
  }

  const warmupS = warmupMin * 60;
  const warm = samples.filter((s) => s.t < warmupS);
  const after = samples.filter((s) => s.t >= warmupS);
  if (after.length < 6 || warm.length < 1) problems.push(`too few samples after warm-up (${after.length})`);
  else checks = growthChecks(warm, after);
  const mqttRecords = last?.receivers.mqtt?.records ?? 0;
  const mqttDead = last?.receivers.mqtt?.deadLetters ?? 0;
  checks.push({
    what: 'MQTT readings taken (records + dead letters) vs acknowledged by Mosquitto',
    measured: `${mqttRecords} + ${mqttDead} of ${published.acked}`,
    bound: '= all',
    ok: mqttRecords + mqttDead === published.acked && mqttDead === 0,
  });
  if (pty !== undefined) {
    const lineRecords = last?.receivers.line?.records ?? 0;
    checks.push({
      what: 'serial lines taken vs written to the pty',
      measured: `${lineRecords} of ${lines.written} (${lines.failed} writes failed)`,
      bound: '= all',
      ok: lineRecords === lines.written,
    });
  }
  checks.push({
    what: 'Kafka outbox after the last outage',
    measured: `${last?.sinks.upstream?.outboxEntries ?? 'unknown'} entries, ${last?.sinks.upstream?.sent ?? 0} sent`,
    bound: '0 entries',
    ok: last?.sinks.upstream?.outboxEntries === 0,
  });
  await rm(dir, { recursive: true, force: true });

  const failed = checks.filter((c) => !c.ok);
  const date = startedAt.toISOString().slice(0, 10);
  const resultDir = path.join(HERE, 'results');
  await mkdir(resultDir, { recursive: true });
  const csv = [
    COLUMNS.join(','),
    ...samples.map((s) => COLUMNS.map((c) => Number(s[c].toFixed(3))).join(',')),
  ];
  await writeFile(path.join(resultDir, `soak-${date}.csv`), `${csv.join('\n')}\n`);
  await writeFile(
    path.join(resultDir, `soak-${date}.svg`),
    renderSvg(
      samples,
      warmupS,
      `Sluice soak ${date}: ${minutes} min, Kafka down ${DOWN_S} s of every ${FLAP_S} s`,
    ),
  );
  const at = (s: Sample | undefined, f: (s: Sample) => number, digits = 1): string =>
    s === undefined ? '—' : f(s).toFixed(digits);
  const first = after[0];
  const end = samples.at(-1);
  const text = [
    describeMachine(),
    `soak: ${startedAt.toISOString()}, ${minutes} min (warm-up ${warmupMin} min), sample every ${intervalS} s; sluice built from ${source}`,
    `load: MQTT ${rate}/s QoS 1 from ${MQTT_SENSORS} sensors via Mosquitto; simulator ${SIM_SENSORS} sensors × 10/s;` +
      (pty === undefined
        ? ' no serial (socat missing)'
        : ` serial JSON lines ${SERIAL_LINES_PER_S}/s on a socat pty`),
    `pipelines: 1 s tumbling count/avg/min/max/p95 → file + Kafka; 10 s/1 s sliding count/avg/max → file`,
    `flapping: Kafka mock broker down ${DOWN_S} s of every ${FLAP_S} s (${outages} outages); durability: process`,
    `bounds: ${JSON.stringify(BOUNDS)}`,
    '',
    `after warm-up → end: RSS ${at(first, (s) => s.rssMiB)} → ${at(end, (s) => s.rssMiB)} MiB, heap used ${at(first, (s) => s.heapUsedMiB)} → ${at(end, (s) => s.heapUsedMiB)} MiB, fds ${at(first, (s) => s.fds, 0)} → ${at(end, (s) => s.fds, 0)}, LevelDB ${at(first, (s) => s.leveldbMiB)} → ${at(end, (s) => s.leveldbMiB)} MiB`,
    `most after warm-up: RSS ${Math.max(...after.map((s) => s.rssMiB)).toFixed(1)} MiB, loop p99 ${Math.max(...after.map((s) => s.loopP99Ms)).toFixed(1)} ms, LevelDB ${Math.max(...after.map((s) => s.leveldbMiB)).toFixed(1)} MiB, Kafka outbox ${Math.max(...after.map((s) => s.kafkaOutbox))} entries`,
    `records taken: ${end?.records ?? 0} (MQTT published ${published.acked}, skipped by the publisher ${published.skipped}; serial lines ${lines.written})`,
    '',
    ...checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'}  ${c.what}: ${c.measured} (bound ${c.bound})`),
    ...problems.map((p) => `FAIL  ${p}`),
    '',
    failed.length + problems.length === 0
      ? `soak passed: ${checks.length} checks`
      : `SOAK FAILED: ${[...failed.map((c) => c.what), ...problems.map((p) => p.split('\n')[0] ?? p)].join('; ')}`,
  ];
  await writeFile(path.join(resultDir, `soak-${date}.txt`), `${text.join('\n')}\n`);
  for (const line of text) console.log(line);
  log(`saved bench/results/soak-${date}.{csv,svg,txt}`);
  return failed.length + problems.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
