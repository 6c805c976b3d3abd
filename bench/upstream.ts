// The upstream benchmark: drain an outbox of N records (default 1M) into librdkafka's mock cluster through the
// forwarder and the Kafka sink, beside a bare kafkajs producer sending the same records in the same chunks in
// the same run (`npm run bench -- upstream [--records=N]`). The ratio is the price of the outbox: reading
// LevelDB in order, deleting after each acknowledgement, counting. Target ≥ 0.7×.
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

const CHUNK = 500;
const T0 = 1_700_000_000_000;
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function flag(flags: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return flags.find((f) => f.startsWith(prefix))?.slice(prefix.length);
}

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

export async function run(flags: readonly string[]): Promise<void> {
  const records = Number(flag(flags, 'records') ?? 1_000_000);
  console.log('# upstream');
  console.log(`machine: ${describeMachine()}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`data: ${records} window records, ${CHUNK} per send, acks all, librdkafka mock cluster`);
  const mock = await startKafkaMock({ topics: ['bench-sluice:6', 'bench-bare:6'] });
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-bench-upstream-'));
  try {
    // The outbox, filled as the driver would: one commit per batch of 1000 records.
    const store = await Store.open(dir, 'process');
    const outbox = await Outbox.open(
      store,
      'up',
      outboxLimitsSchema.parse({ maxBytes: '4GiB', maxAge: '3650d' }),
    );
    const set = new OutboxSet();
    set.add(outbox);
    for (let b = 0; b * 1000 < records; b++) {
      const batch = Array.from({ length: Math.min(1000, records - b * 1000) }, (_, i) =>
        record(b * 1000 + i),
      );
      const plan = await set.plan(T0 + b * 1000, new Map([['up', batch]]));
      await store.write(plan.ops);
      await plan.committed();
    }

    // Sluice: forwarder + Kafka sink, until the outbox is empty.
    const sink = new KafkaSink(
      'up',
      kafkaSinkConfigSchema.parse({ type: 'kafka', brokers: mock.brokers, topic: 'bench-sluice' }),
      { log: silent, durability: 'process', disconnected: () => undefined },
    );
    const supervisor = new Supervisor('sink:up', () => sink.connect(), silent);
    const forwarder = new Forwarder('up', sink, outbox, supervisor, silent, { chunk: CHUNK });
    await supervisor.start();
    const started = performance.now();
    forwarder.start();
    while (outbox.counters.entries > 0) await new Promise((r) => setTimeout(r, 5));
    const sluiceMs = performance.now() - started;
    await forwarder.stop();
    await supervisor.stop();
    await sink.close();
    await store.close();

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
    const bareStart = performance.now();
    for (let i = 0; i < records; i += CHUNK) {
      const messages = [];
      for (let j = i; j < Math.min(records, i + CHUNK); j++) {
        const e = record(j);
        messages.push({ key: e.key, value: e.value, headers: { 'sluice-id': e.id } });
      }
      await producer.send({ topic: 'bench-bare', acks: -1, messages });
    }
    const bareMs = performance.now() - bareStart;
    await producer.disconnect();

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
