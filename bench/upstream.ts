// The upstream benchmark: drain an outbox of N records (default 1M) into librdkafka's mock cluster through the
// forwarder and the Kafka sink, beside a bare kafkajs producer sending the same records in the same chunks in
// the same run (`npm run bench -- upstream [--records=N]`). The ratio is the price of the outbox: reading
// LevelDB in order, deleting after each acknowledgement, counting (the forwarder overlaps the reading of the next
// chunk and the delete of the last one with each send). Target ≥ 0.7×.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { kafkaSinkConfigSchema } from '../connectors/sinks/kafka/config.js';
import { KafkaSink } from '../connectors/sinks/kafka/sink.js';
import type { Logger, OutboxEntry } from '../connectors/types.js';
import { outboxLimitsSchema } from '../daemon/config/common-schemas.js';
import { Forwarder } from '../daemon/forwarder.js';
import { Outbox, OutboxSet } from '../daemon/outbox.js';
import { Store } from '../daemon/store/store.js';
import { Supervisor } from '../daemon/supervisor.js';
import { startKafkaMock } from '../test/support/kafka-mock.js';
import { describeMachine } from './machine.js';
import { renderTable, throughputRow } from './report.js';
import { textFlag } from './flags.js';

const CHUNK = 500;
const T0 = 1_700_000_000_000;
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Record i: a window result of one of 1000 sensors, about 190 bytes of JSON. */
function record(i: number): OutboxEntry {
  const key = `t-${String(i % 1000).padStart(4, '0')}`;
  const windowStart = T0 + Math.floor(i / 1000) * 60_000;
  const id = `bench/climate-1m/${key}/${windowStart}`;
  const values = { n: 60, temp_max: 20 + (i % 97) / 10, hum_avg: 40 + (i % 53) / 3 };
  const value = JSON.stringify({
    id,
    gateway: 'bench',
    pipeline: 'climate-1m',
    key,
    windowStart,
    windowEnd: windowStart + 60_000,
    values,
  });
  return { id, key, value };
}

/** Fills the outbox as the driver would, one commit per batch of 1000 records: records [from, to). */
async function fill(store: Store, set: OutboxSet, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, to - start) }, (_, i) => record(start + i));
    const plan = await set.plan(T0 + start, new Map([['up', batch]]));
    await store.write(plan.ops);
    await plan.committed();
  }
}

export async function run(flags: readonly string[]): Promise<void> {
  const records = Number(textFlag(flags, 'records') ?? 1_000_000);
  const rounds = Number(textFlag(flags, 'rounds') ?? 5);
  const perRound = Math.ceil(records / rounds);
  console.log('# upstream');
  console.log(`machine: ${describeMachine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(
    `data: ${records} window records in ${rounds} alternating rounds, ${CHUNK} per send, acks all, librdkafka mock cluster`,
  );
  const mock = await startKafkaMock({ topics: ['bench-sluice:6', 'bench-bare:6'] });
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-bench-upstream-'));
  try {
    const store = await Store.open(dir, 'process');
    const outbox = await Outbox.open(
      store,
      'up',
      outboxLimitsSchema.parse({ maxBytes: '4GiB', maxAge: '3650d' }),
    );
    const set = new OutboxSet();
    set.add(outbox);
    // Sluice: forwarder + Kafka sink, draining the outbox.
    const sink = new KafkaSink(
      'up',
      kafkaSinkConfigSchema.parse({ type: 'kafka', brokers: mock.brokers, topic: 'bench-sluice' }),
      { log: silent, durability: 'process', disconnected: () => undefined },
    );
    const supervisor = new Supervisor('sink:up', () => sink.connect(), silent);
    const forwarder = new Forwarder('up', sink, outbox, supervisor, silent, { chunk: CHUNK });
    await supervisor.start();
    forwarder.start();
    // Baseline: a bare kafkajs producer, the same records in the same chunks, awaited one by one.
    const producer = new Kafka({
      clientId: 'bare',
      brokers: mock.brokers,
      logLevel: logLevel.NOTHING,
    }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      maxInFlightRequests: 1,
    });
    await producer.connect();

    // CPU of this process (the mock cluster runs in its own): what each side costs the gateway per record.
    let sluiceCpuUs = 0;
    let bareCpuUs = 0;
    const cpuUs = (since: NodeJS.CpuUsage): number => {
      const used = process.cpuUsage(since);
      return used.user + used.system;
    };
    const drain = async (): Promise<number> => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      forwarder.wake();
      while (outbox.counters.entries > 0) await new Promise((r) => setTimeout(r, 5));
      sluiceCpuUs += cpuUs(cpu);
      return performance.now() - started;
    };
    const bare = async (from: number, to: number): Promise<number> => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      try {
        await sendBare(from, to);
      } finally {
        bareCpuUs += cpuUs(cpu);
      }
      return performance.now() - started;
    };
    const sendBare = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += CHUNK) {
        const messages = [];
        for (let j = i; j < Math.min(to, i + CHUNK); j++) {
          const e = record(j);
          messages.push({ key: e.key, value: e.value, headers: { 'sluice-id': e.id } });
        }
        await producer.send({ topic: 'bench-bare', acks: -1, messages });
      }
    };

    // Rounds alternate which side goes first, so a change in the machine's load hits both alike.
    let sluiceMs = 0;
    let bareMs = 0;
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const from = r * perRound;
      const to = Math.min(records, from + perRound);
      if (from >= to) break;
      await fill(store, set, from, to);
      let s: number;
      let b: number;
      if (r % 2 === 0) {
        s = await drain();
        b = await bare(from, to);
      } else {
        b = await bare(from, to);
        s = await drain();
      }
      sluiceMs += s;
      bareMs += b;
      ratios.push(b / s);
    }
    await forwarder.stop();
    await supervisor.stop();
    await sink.close();
    await store.close();
    await producer.disconnect();

    const rate = (ms: number): string => `${Math.round(records / (ms / 1000))} records/s`;
    console.log(`sluice (forwarder + Kafka sink): ${(sluiceMs / 1000).toFixed(1)} s, ${rate(sluiceMs)}`);
    console.log(`bare kafkajs producer:           ${(bareMs / 1000).toFixed(1)} s, ${rate(bareMs)}`);
    console.log(`ratio per round: ${ratios.map((x) => `${x.toFixed(2)}×`).join(' ')}`);
    const perRecord = (us: number): string => `${(us / records).toFixed(1)} µs CPU/record`;
    console.log(`cpu of this process: sluice ${perRecord(sluiceCpuUs)}, bare ${perRecord(bareCpuUs)}`);
    console.log('');
    for (const line of renderTable([
      throughputRow(
        `drain ${records} records to Kafka`,
        records / (sluiceMs / 1000),
        records / (bareMs / 1000),
        0.7,
      ),
    ]))
      console.log(line);
  } finally {
    await mock.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
