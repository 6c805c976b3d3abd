// Clock jumps, in-process: a real Mosquitto, the MQTT receiver, LevelDB, an event-time and a processing-time
// pipeline, file sinks. The gateway's wall clock is the real one plus an error the test sets (the driver's
// injectable clock; its monotonic clock stays the real one), the way NTP steps a Raspberry Pi's clock that has no
// RTC. Checked: a step forward by an hour catches up with a bounded number of empty batches, not 36,000; a step
// back by an hour and a half neither stalls the batches nor reuses a committed batch time; a restart with the
// clock three hours behind the last batch resumes at once after it; and every reading published meanwhile is
// counted exactly once by both pipelines.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { checkConfigText } from '../../daemon/config/load.js';
import type { Config } from '../../daemon/config/schema.js';
import type { BatchStats } from '../../daemon/driver.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { countedReadings, readWindowResults } from '../support/window-results.js';
import { waitFor } from '../support/wait.js';

const INTERVAL = 100;
const WINDOW = 1000;
const LATENESS = 500;
const HOUR = 3_600_000;
/** Empty batches the driver runs before it skips ahead: every window (plus lateness) drains, then one more. */
const DRAIN = Math.ceil((WINDOW + LATENESS) / INTERVAL) + 1;

let broker: Mosquitto;
let dir: string;
let client: MqttClient;
let gateway: Gateway | undefined;
/** What the gateway's wall clock is off by, ms. */
let error = 0;
const wall = (): number => Date.now() + error;
const monotonic = (): number => performance.now();

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-clock-'));
  client = await mqtt.connectAsync(broker.url, { clientId: 'clock-publisher' });
});

afterAll(async () => {
  await client.endAsync();
  await gateway?.stop();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

function config(): Config {
  const check = checkConfigText(`gateway: { id: gw }
batch: { interval: ${INTERVAL}ms }
state: { dir: ${path.join(dir, 'state')}, durability: process }
receivers:
  s: { type: mqtt, url: "${broker.url}", topics: ["s/+"], qos: 1, clientId: clock-gw, key: "topicParts[1]", time: ts }
pipelines:
  ev:
    from: [s]
    window: { length: ${WINDOW}ms, lateness: ${LATENESS}ms }
    aggregate: { n: count(), v_sum: sum(v) }
    to: [ev]
  pt:
    from: [s]
    window: { length: ${WINDOW}ms, time: processing }
    aggregate: { n: count(), v_sum: sum(v) }
    to: [pt]
sinks:
  ev: { type: file, path: ${path.join(dir, 'ev.jsonl')} }
  pt: { type: file, path: ${path.join(dir, 'pt.jsonl')} }
`);
  if (!check.ok) throw new Error(JSON.stringify(check.issues));
  return check.config;
}

async function boot(): Promise<Gateway> {
  const g = createGateway(config(), {
    log: pino({ level: 'silent' }),
    driver: { now: wall, monotonic, statsKept: 100_000 },
  });
  await g.start();
  await waitFor('the receiver to connect', () =>
    g.status().receivers.s?.state === 'connected' ? true : undefined,
  );
  return g;
}

const batches = (): readonly BatchStats[] => gateway?.status().batches ?? [];
const lastBatch = (): number => batches().at(-1)?.batchTimeMs ?? Number.NEGATIVE_INFINITY;

let published = 0;
/** Readings published since the gateway (and its receiver's counter) started. */
let sinceBoot = 0;
/** Publishes n readings per key (event time: the real clock, as the sensors' own) and waits until batches cut
 * them all. */
async function publish(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (const k of ['a', 'b']) {
      await client.publishAsync(`s/${k}`, JSON.stringify({ ts: Date.now(), v: 1 }), { qos: 1 });
      published++;
      sinceBoot++;
    }
  }
  const g = gateway;
  await waitFor('the readings in a batch', () =>
    (g?.status().receivers.s?.records ?? 0) >= sinceBoot &&
    g?.status().intake.pending === 0 &&
    batches().at(-1)?.records === 0
      ? true
      : undefined,
  );
}

/** Batch times must rise, one interval apart except where the driver skipped ahead. */
function expectRising(stats: readonly BatchStats[]): void {
  for (let i = 1; i < stats.length; i++) {
    expect((stats[i] as BatchStats).batchTimeMs).toBeGreaterThan((stats[i - 1] as BatchStats).batchTimeMs);
  }
}

describe('clock jumps', () => {
  test('forward, back, and a restart far behind: no burst, no stall, no reused batch time, nothing lost', async () => {
    gateway = await boot();
    await publish(20);

    // Forward by an hour: the driver drains the windows with a few empty batches, then skips ahead.
    const beforeForward = batches().length;
    const lastBeforeForward = lastBatch();
    error = HOUR;
    await waitFor('batches at the new time', () =>
      lastBatch() > Date.now() + HOUR - 2000 ? true : undefined,
    );
    const catchUp = batches()
      .slice(beforeForward)
      .filter((b) => b.batchTimeMs < lastBeforeForward + HOUR / 2);
    expect(catchUp.length).toBeLessThanOrEqual(DRAIN + 1);
    await publish(20);

    // Back by an hour and a half: batches go on at their cadence, after the last one committed.
    const beforeBack = batches().length;
    const lastBeforeBack = lastBatch();
    error = -HOUR / 2;
    const backAt = Date.now();
    await waitFor('ten batches after the step back', () =>
      batches().length >= beforeBack + 10 ? true : undefined,
    );
    const afterBack = batches().slice(beforeBack);
    expect((afterBack[0] as BatchStats).batchTimeMs).toBe(lastBeforeBack + INTERVAL);
    expect(Date.now() - backAt).toBeLessThan(HOUR / 2); // not stalled for the step's length (it is ~1 s)
    await publish(20);

    // A restart with the clock three hours behind the last batch (a gateway without RTC after a power loss).
    await gateway.stop();
    const lastBeforeRestart = lastBatch(); // the stopped gateway's statistics: its shutdown ran no other batch
    error = -3 * HOUR;
    gateway = await boot();
    sinceBoot = 0;
    await waitFor('batches after the restart', () => (batches().length >= 10 ? true : undefined));
    expect((batches()[0] as BatchStats).batchTimeMs).toBe(lastBeforeRestart + INTERVAL);
    expectRising(batches());
    await publish(20);

    // NTP steps the clock forward to the truth again: the lead the batches had is taken back first.
    const lastBeforeSync = lastBatch();
    const beforeSync = batches().length;
    error = 0;
    await waitFor('batches after the sync', () => (batches().length >= beforeSync + 10 ? true : undefined));
    expect((batches()[beforeSync] as BatchStats).batchTimeMs).toBe(lastBeforeSync + INTERVAL);
    expectRising(batches());
    await publish(20);

    // A reading far ahead in event time closes every event-time window; processing-time ones close on their own.
    await client.publishAsync('s/flush', JSON.stringify({ ts: Date.now() + HOUR, v: 0 }), { qos: 1 });
    const ev = await waitFor('every reading in the event-time results', async () => {
      const byId = await readWindowResults(path.join(dir, 'ev.jsonl'));
      return countedReadings(byId, 'flush') >= published ? byId : undefined;
    });
    const pt = await waitFor('every reading in the processing-time results', async () => {
      const byId = await readWindowResults(path.join(dir, 'pt.jsonl'));
      return countedReadings(byId, 'flush') >= published ? byId : undefined;
    });
    expect(countedReadings(ev, 'flush')).toBe(published);
    expect(countedReadings(pt, 'flush')).toBe(published);
    expect(published).toBe(200);
  }, 60_000);
});
