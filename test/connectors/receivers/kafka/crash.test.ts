// Spark's direct approach, proved on a real daemon process: readings produced to a 3-partition topic on
// librdkafka's mock cluster while the daemon is SIGKILLed several times mid-stream and restarted on the same
// state. Each partition's offset is saved in the same atomic write as its records, so in the end every reading
// is counted in exactly one window result (after de-duplication by id), none lost and none counted twice.
// Windows are by arrival time: a reading read again from Kafka after a restart would arrive anew and be counted
// in a later window, so a double count cannot hide behind de-duplication. (Offsets go to Kafka only every few
// seconds: reading on from those instead of the saved ones fails this test.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDaemon, type DaemonProcess } from '../../../support/daemon.js';
import { writeCountingConfig } from '../../../support/gateway-configs.js';
import { startKafkaMock, type KafkaMock } from '../../../support/kafka-mock.js';
import { countedReadings, readWindowResults, summed } from '../../../support/window-results.js';
import { waitFor } from '../../../support/wait.js';

const T0 = 1_700_000_000_000;
const READINGS = 3000;
const KILLS = 3;

let mock: KafkaMock;
let dir: string;
let daemon: DaemonProcess | undefined;
let producer: Producer | undefined;

beforeAll(async () => {
  mock = await startKafkaMock({ topics: ['readings:3'] });
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-kafka-crash-'));
});

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await producer?.disconnect();
  await mock.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Records the daemon's Kafka receiver has read since it started, from its status API. */
async function recordsRead(d: DaemonProcess): Promise<number> {
  const line = d
    .output()
    .split('\n')
    .find((l) => l.includes('"msg":"api listening"'));
  if (line === undefined) return 0;
  const { url } = JSON.parse(line) as { url: string };
  const response = await fetch(new URL('/api/v1/status', url));
  const status = (await response.json()) as { receivers: Record<string, { records: number }> };
  return status.receivers.readings?.records ?? 0;
}

test('loses and double-counts no reading across repeated SIGKILLs of the daemon', async () => {
  const out = path.join(dir, 'out.jsonl');
  const config = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(config, {
    id: 'kcrash',
    stateDir: path.join(dir, 'state'),
    receivers: {
      readings: {
        type: 'kafka',
        brokers: mock.brokers,
        topics: ['readings'],
        key: 'sensor',
        sessionTimeout: '6s',
      },
    },
    out,
    window: { length: '1s' },
    api: true,
  });
  const start = async (): Promise<DaemonProcess> => {
    const d = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
    await d.waitForLog('running');
    await d.waitForLog('kafka consumer joined', 60_000);
    return d;
  };
  daemon = await start();

  const kafka = new Kafka({ clientId: 'crash-producer', brokers: mock.brokers, logLevel: logLevel.NOTHING });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const p = producer;
  let produced = 0;
  const producing = (async () => {
    for (let i = 0; i < READINGS; i += 20) {
      const messages = Array.from({ length: 20 }, (_, j) => {
        const n = i + j;
        const sensor = `k${n % 20}`;
        // 100 readings per 1 s window.
        return { key: sensor, value: JSON.stringify({ sensor, ts: T0 + n * 10, v: n }) };
      });
      await p.send({ topic: 'readings', acks: -1, messages });
      produced += messages.length;
      await new Promise((r) => setTimeout(r, 200)); // the stream lasts ~30 s, across every kill
    }
  })();

  for (let k = 0; k < KILLS; k++) {
    const at = Math.floor(((k + 1) * READINGS) / (KILLS + 2) + Math.random() * 200);
    await waitFor(`${at} readings produced`, () => (produced >= at ? true : undefined), {
      timeoutMs: 60_000,
    });
    // Killed only once this run has read some of the stream itself (a restart first waits to rejoin the group).
    const d = daemon;
    await waitFor(
      'the restarted daemon to read readings',
      async () => ((await recordsRead(d)) >= 100 ? true : undefined),
      {
        timeoutMs: 60_000,
        everyMs: 100,
      },
    );
    daemon.child.kill('SIGKILL');
    expect((await daemon.exited).signal).toBe('SIGKILL');
    daemon = await start();
  }
  await producing;

  // Arrival-time windows close when later records arrive: a tick a second moves them on until all are counted.
  const ticking = { on: true };
  const ticks = (async () => {
    while (ticking.on) {
      await p.send({
        topic: 'readings',
        messages: [{ key: 'tick', value: JSON.stringify({ sensor: 'tick', v: 0 }) }],
      });
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const byId = await waitFor(
    'every reading counted in the file',
    async () => {
      const w = await readWindowResults(out);
      return countedReadings(w, 'tick') >= READINGS ? w : undefined;
    },
    { timeoutMs: 60_000 },
  ).finally(() => {
    ticking.on = false;
  });
  await ticks;
  expect(countedReadings(byId, 'tick')).toBe(READINGS);
  // The sum of v proves each reading is counted once, not just the right number of times.
  expect(summed(byId, 'v_sum', 'tick')).toBe((READINGS * (READINGS - 1)) / 2);

  daemon.child.kill('SIGTERM');
  expect(await daemon.exited).toEqual({ code: 0, signal: null });
  daemon = undefined;
}, 240_000);
