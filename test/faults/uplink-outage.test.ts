// Kafka down for hours of data at an accelerated clock (issue #7): the daemon as a real process, an event-time
// tumbling pipeline fed through real Mosquitto at QoS 1, and a Kafka sink against librdkafka's mock cluster with
// its broker taken away before the first reading. 20 sensors send one reading each per 10 s of event time over
// 2 hours of event time (24 hours with SLUICE_LONG=1), published as fast as the broker takes them, so event time
// runs thousands of times faster than the wall clock. While the broker is down:
// - the sink's outbox in /api/v1/status grows to exactly the number of window results, none dropped;
// - the daemon is SIGKILLed and restarted with the backlog waiting: the outbox is still all there.
// When the broker is back, the outbox drains to zero and kcat (an independent consumer) reads every window result
// from the topic: each id present, a repeated id with the identical value, the values those the input implies,
// and per key (one partition each) in event-time order.
// A second, smaller case (30 min of event time) overflows a 32 KiB drop-oldest outbox during the outage: the results
// missing from the topic are exactly as many as dropped.full counts, and they are the oldest; those that arrive are
// right and in order per key.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { OutboxStatus } from '../../daemon/app.js';
import { apiUrl, startDaemon, type DaemonProcess } from '../support/daemon.js';
import { kcatConsume, startKafkaMock, type KafkaMock } from '../support/kafka-mock.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';
import { byId, LONG, type WindowResult } from './results.js';

const SENSORS = 20;
const STEP_MS = 10_000; // one reading per sensor per 10 s of event time
const WINDOW_MS = 60_000; // tumbling 1 min windows: 6 readings per sensor per window
const HOURS = LONG ? 24 : 2;
const STEPS = (HOURS * 3600_000) / STEP_MS;
const READINGS = STEPS * SENSORS;
const WINDOWS = SENSORS * ((STEPS * STEP_MS) / WINDOW_MS);
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % WINDOW_MS);
const FAR = 10_000_000_000; // a reading this far ahead closes every window
const IN_FLIGHT = 200; // QoS 1 publishes awaited together
const SMALL_MINUTES = 30; // the overflow case: 30 min of event time

let broker: Mosquitto;
let kafka: KafkaMock;
let dir: string;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  broker = await startMosquitto({ maxInflightMessages: IN_FLIGHT });
  kafka = await startKafkaMock({ topics: ['edge:3'] });
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-uplink-outage-'));
});

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await kafka.stop();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

function reading(i: number): { key: string; ts: number; v: number } {
  return { key: `s${i % SENSORS}`, ts: T0 + Math.floor(i / SENSORS) * STEP_MS, v: i };
}

/** The window results the readings imply, by key and window start: count and sum of v. */
function expectedWindows(readings = READINGS): Map<string, { n: number; v_sum: number }> {
  const out = new Map<string, { n: number; v_sum: number }>();
  for (let i = 0; i < readings; i++) {
    const r = reading(i);
    const k = `${r.key}@${r.ts - ((r.ts - T0) % WINDOW_MS)}`;
    const w = out.get(k) ?? { n: 0, v_sum: 0 };
    w.n++;
    w.v_sum += r.v;
    out.set(k, w);
  }
  return out;
}

interface Status {
  sinks: Record<string, { state: string; sent: number; outbox: OutboxStatus }>;
}

/**
 * A topic read with kcat in partition/offset order: each message's key and sluice-id header match its record, a
 * repeated id (a resend) carries the identical value, each key stays in one partition, and the first occurrences
 * of a key's windows are in event-time order (orderViolations counts those that are not).
 */
async function readTopic(
  name: string,
): Promise<{ messages: number; unique: Map<string, WindowResult>; orderViolations: number }> {
  const messages = (await kcatConsume(kafka.brokers, name)).sort(
    (a, b) => a.partition - b.partition || a.offset - b.offset,
  );
  const partitionOf = new Map<string, number>();
  const lastStart = new Map<string, number>();
  const records: WindowResult[] = [];
  const seen = new Set<string>();
  let orderViolations = 0;
  for (const m of messages) {
    const r = JSON.parse(m.payload ?? '') as WindowResult;
    expect(m.headers['sluice-id']).toBe(r.id);
    expect(m.key).toBe(r.key);
    expect(partitionOf.get(r.key) ?? m.partition).toBe(m.partition);
    partitionOf.set(r.key, m.partition);
    if (!seen.has(r.id)) {
      seen.add(r.id);
      if ((lastStart.get(r.key) ?? -Infinity) >= r.windowStart) orderViolations++;
      lastStart.set(r.key, r.windowStart);
    }
    records.push(r);
  }
  return { messages: messages.length, unique: byId(records, name), orderViolations };
}

/** Window results as key@windowStart -> count and sum, to compare with expectedWindows(). */
function valuesOf(results: Iterable<WindowResult>): Map<string, { n: number; v_sum: number }> {
  const out = new Map<string, { n: number; v_sum: number }>();
  for (const r of results)
    out.set(`${r.key}@${r.windowStart}`, { n: r.values.n ?? -1, v_sum: r.values.v_sum ?? -1 });
  return out;
}

interface Running {
  d: DaemonProcess;
  status: () => Promise<Status>;
}

/** Waits until the `up` sink's outbox is empty; resolves with that sink's status. */
function outboxDrained(status: () => Promise<Status>, timeoutMs: number): Promise<Status['sinks'][string]> {
  return waitFor(
    'the outbox to drain',
    async () => {
      const s = (await status()).sinks.up;
      return s !== undefined && s.outbox.entries === 0 ? s : undefined;
    },
    { timeoutMs },
  );
}

/** Starts the daemon on this config and waits until it runs and is subscribed; status() reads /api/v1/status. */
async function startWithApi(config: string): Promise<Running> {
  const d = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
  daemon = d;
  await d.waitForLog('running', 60_000);
  await d.waitForLog('mqtt connected', 60_000);
  const api = apiUrl(d);
  return {
    d,
    status: async () => {
      const res = await fetch(`${api}/api/v1/status`);
      expect(res.status).toBe(200);
      return (await res.json()) as Status;
    },
  };
}

/** Publishes readings from..to-1 at QoS 1, IN_FLIGHT at a time, then the reading that closes every window. */
async function publishAll(clientId: string, count: number): Promise<void> {
  const publisher = await mqtt.connectAsync(broker.url, { clientId });
  for (let i = 0; i < count; i += IN_FLIGHT) {
    const sends: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(i + IN_FLIGHT, count); j++) {
      const r = reading(j);
      sends.push(publisher.publishAsync(`s/${r.key}`, JSON.stringify({ ts: r.ts, v: r.v }), { qos: 1 }));
    }
    await Promise.all(sends);
  }
  // A reading far ahead moves the watermark past every window of the outage.
  await publisher.publishAsync('s/flush', JSON.stringify({ ts: T0 + FAR, v: 0 }), { qos: 1 });
  await publisher.endAsync();
}

/** A daemon config: MQTT at QoS 1 into 1 min event-time windows by sensor, to one Kafka sink on this topic. */
async function writeConfig(name: string, topic: string, outbox = ''): Promise<string> {
  const config = path.join(dir, `${name}.yaml`);
  await writeFile(
    config,
    `gateway: { id: ${name} }
batch: { interval: 100ms }
state: { dir: ${path.join(dir, name)} }
receivers:
  sensors:
    type: mqtt
    url: ${broker.url}
    topics: ["s/+"]
    qos: 1
    key: topicParts[1]
    time: ts
pipelines:
  climate:
    from: [sensors]
    window: { length: 1m, lateness: 1m }
    aggregate: { n: count(), v_sum: sum(v) }
    to: [up]
sinks:
  up: { type: kafka, brokers: ${JSON.stringify(kafka.brokers)}, topic: ${topic}, connectTimeout: 1s, sendTimeout: 2s${outbox} }
api: { port: 0 }
`,
  );
  return config;
}

test(
  `an uplink down for ${HOURS} h of event time loses nothing: ${WINDOWS} window results wait in the outbox across a SIGKILL and all arrive in order`,
  async () => {
    const config = await writeConfig('outage', 'edge');
    const start = (): Promise<Running> => startWithApi(config);

    // The uplink is down before the first reading: every window result has to wait.
    await kafka.down();
    let { d, status } = await start();

    const startedAt = Date.now();
    await publishAll('uplink-outage-publisher', READINGS);
    const publishMs = Date.now() - startedAt;

    // The backlog grows to every window result, nothing sent, nothing dropped.
    const backlog = await waitFor(
      `${WINDOWS} window results in the outbox`,
      async () => {
        const s = (await status()).sinks.up;
        return s !== undefined && s.outbox.entries >= WINDOWS ? s : undefined;
      },
      { timeoutMs: 120_000 },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${d.output().slice(-3000)}`);
    });
    const filledMs = Date.now() - startedAt;
    expect(backlog.outbox.entries).toBe(WINDOWS);
    expect(backlog.outbox.dropped).toEqual({ full: 0, age: 0 });
    expect(backlog.sent).toBe(0);
    expect(backlog.state).not.toBe('connected');
    expect(backlog.outbox.bytes).toBeGreaterThan(0);
    expect(backlog.outbox.bytes).toBeLessThanOrEqual(backlog.outbox.maxBytes);

    // SIGKILL with the backlog waiting: after the restart it is all still there (the broker still down).
    d.child.kill('SIGKILL');
    expect((await d.exited).signal).toBe('SIGKILL');
    ({ d, status } = await start());
    const afterKill = (await status()).sinks.up;
    expect(afterKill?.outbox.entries).toBe(WINDOWS);
    expect(afterKill?.outbox.bytes).toBe(backlog.outbox.bytes);
    expect(afterKill?.sent).toBe(0);

    // The uplink comes back: the outbox drains to zero.
    const upAt = Date.now();
    await kafka.up();
    const drained = await outboxDrained(status, LONG ? 1_800_000 : 120_000);
    const drainMs = Date.now() - upAt;
    expect(drained.outbox.bytes).toBe(0);
    expect(drained.outbox.dropped).toEqual({ full: 0, age: 0 });
    expect(drained.sent).toBeGreaterThanOrEqual(WINDOWS);
    expect(drained.state).toBe('connected');

    // kcat reads every window result, once after de-duplication by id, with the values the input implies.
    const topic = await readTopic('edge');
    expect(topic.unique.size).toBe(WINDOWS);
    expect(valuesOf(topic.unique.values())).toEqual(expectedWindows());
    expect(topic.orderViolations).toBe(0);

    console.log(
      `uplink outage: ${JSON.stringify({
        eventHours: HOURS,
        readings: READINGS,
        windows: WINDOWS,
        publishSeconds: publishMs / 1000,
        backlogFilledSeconds: filledMs / 1000,
        clockSpeedup: Math.round((HOURS * 3600_000) / filledMs),
        outboxBytes: backlog.outbox.bytes,
        drainSeconds: drainMs / 1000,
        kafkaMessages: topic.messages,
        duplicates: topic.messages - topic.unique.size,
      })}`,
    );

    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    daemon = undefined;
  },
  300_000 + (LONG ? 3 * 3600_000 : 0),
);

test('a bounded drop-oldest outbox overflowing during the outage loses exactly what dropped.full counts, the oldest', async () => {
  // 30 min of event time (600 window results) into an outbox that holds about a quarter of them.
  const readings = (SMALL_MINUTES * 60_000 * SENSORS) / STEP_MS;
  const windows = (SENSORS * SMALL_MINUTES * 60_000) / WINDOW_MS;
  const config = await writeConfig('overflow', 'tiny', ', outbox: { maxBytes: 32KiB, onFull: drop-oldest }');
  await kafka.down();
  const { d, status } = await startWithApi(config);
  await publishAll('uplink-overflow-publisher', readings);

  // Every window result went into the outbox or was counted as dropped; the outbox stays within its bound.
  const full = await waitFor(
    `${windows} window results kept or dropped`,
    async () => {
      const s = (await status()).sinks.up;
      return s !== undefined && s.outbox.entries + s.outbox.dropped.full >= windows ? s : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(full.outbox.entries + full.outbox.dropped.full).toBe(windows);
  expect(full.outbox.dropped.full).toBeGreaterThan(windows / 2);
  expect(full.outbox.dropped.age).toBe(0);
  expect(full.outbox.bytes).toBeLessThanOrEqual(32 * 1024);
  expect(full.sent).toBe(0);

  await kafka.up();
  const drained = await outboxDrained(status, 60_000);
  // Nothing more dropped once the broker was back.
  expect(drained.outbox.dropped).toEqual(full.outbox.dropped);

  const topic = await readTopic('tiny');
  const expected = expectedWindows(readings);
  const arrived = valuesOf(topic.unique.values());
  // What arrived is right, in order per key; what is missing is exactly what dropped.full counted.
  for (const [k, v] of arrived) expect(v).toEqual(expected.get(k));
  expect(topic.orderViolations).toBe(0);
  expect(arrived.size).toBe(full.outbox.entries);
  expect(expected.size - arrived.size).toBe(full.outbox.dropped.full);
  // The oldest were dropped: every missing window starts no later than any window that arrived.
  const starts = [...topic.unique.values()].map((r) => r.windowStart);
  const missing = [...expected.keys()].filter((k) => !arrived.has(k)).map((k) => Number(k.split('@')[1]));
  expect(Math.max(...missing)).toBeLessThanOrEqual(Math.min(...starts));
  console.log(
    `uplink overflow: ${JSON.stringify({ windows, kept: full.outbox.entries, dropped: full.outbox.dropped.full, kafkaMessages: topic.messages })}`,
  );

  d.child.kill('SIGTERM');
  expect(await d.exited).toEqual({ code: 0, signal: null });
  daemon = undefined;
}, 120_000);
