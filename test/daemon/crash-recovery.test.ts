// Crash safety of the whole daemon: QoS 1 input keeps flowing while the daemon process is SIGKILLed at random
// moments and restarted on the same state. In the end every acknowledged reading is counted in exactly one window
// result (after de-duplicating by id), and duplicate ids carry identical values.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { mqttSensors, writeCountingConfig } from '../support/gateway-configs.js';
import { brokerSide, publishTally } from '../support/broker-log.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';
import { countedReadings, readWindowResults, summed } from '../support/window-results.js';

const T0 = 1_700_000_000_000;
const READINGS = 3000;
const KILLS = 5;

let broker: Mosquitto;
let dir: string;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  // Every packet logged: on a miscount, the broker's side says whether a reading came in or went out twice.
  broker = await startMosquitto({ logPackets: true });
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-crash-'));
});

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

test('loses and double-counts no acknowledged reading across repeated SIGKILLs', async () => {
  const out = path.join(dir, 'out.jsonl');
  const config = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(config, {
    id: 'crash',
    stateDir: path.join(dir, 'state'),
    receivers: { sensors: mqttSensors({ url: broker.url, qos: 1 }) },
    out,
    api: true,
  });
  const logs: string[] = [];
  const start = async (): Promise<DaemonProcess> => {
    if (daemon !== undefined) logs.push(daemon.output());
    const d = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
    await d.waitForLog('running');
    // Subscribed before anything is published: a broker keeps nothing for a session that does not exist yet.
    await d.waitForLog('mqtt connected');
    return d;
  };
  daemon = await start();

  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'crash-publisher' });
  // A publisher that reconnects re-sends its unacknowledged QoS 1 PUBLISH (at least once into the broker), which
  // the broker delivers as a new message: one extra count that is not the daemon's. Logged for the diagnosis.
  const publisherEvents: string[] = [];
  for (const event of ['offline', 'reconnect', 'close'] as const) {
    publisher.on(event, () => publisherEvents.push(`${event} after ${published} published`));
  }
  let published = 0;
  const publishing = (async () => {
    for (let i = 0; i < READINGS; i++) {
      const ts = T0 + i * 10; // 100 readings per 1 s window
      await publisher.publishAsync(`s/k${i % 20}`, JSON.stringify({ ts, v: i }), { qos: 1 });
      published++;
    }
  })();

  // Kill at random moments while readings flow, restarting each time on the same state.
  for (let k = 0; k < KILLS; k++) {
    const at = Math.min(READINGS - 1, Math.floor(((k + 1) * READINGS) / (KILLS + 2) + Math.random() * 200));
    await waitFor(`${at} readings published`, () => (published >= at ? true : undefined), {
      timeoutMs: 60_000,
    });
    daemon.child.kill('SIGKILL');
    expect((await daemon.exited).signal).toBe('SIGKILL');
    daemon = await start();
  }
  await publishing;
  // A reading far ahead moves the watermark past every window.
  await publisher.publishAsync('s/flush', JSON.stringify({ ts: T0 + 10_000_000, v: 0 }), { qos: 1 });
  await publisher.endAsync();

  const byId = await waitFor(
    'every reading counted in the file',
    async () => {
      const w = await readWindowResults(out);
      return countedReadings(w) >= READINGS ? w : undefined;
    },
    { timeoutMs: 60_000 },
  );
  if (countedReadings(byId) !== READINGS) {
    logs.push(daemon.output());
    const perWindow = new Map<number, number>();
    for (const r of byId.values()) {
      perWindow.set(r.windowStart, (perWindow.get(r.windowStart) ?? 0) + r.values.n);
    }
    console.log(
      'DIAG',
      [...perWindow].filter(([, n]) => n !== 100),
      summed(byId, 'v_sum') - (READINGS * (READINGS - 1)) / 2,
      'publisher:',
      publisherEvents,
      brokerSide(publishTally(await broker.log(), 'crash-publisher', 'sluice-crash-sensors')),
    );
    console.log(
      'DIAG',
      logs
        .join('')
        .split('\n')
        .filter((l) => /DUP|recovered/.test(l))
        .join('\n'),
    );
  }
  expect(countedReadings(byId)).toBe(READINGS);
  // The sum of v proves each reading is counted once, not just the right number of times.
  expect(summed(byId, 'v_sum')).toBe((READINGS * (READINGS - 1)) / 2);

  daemon.child.kill('SIGTERM');
  expect(await daemon.exited).toEqual({ code: 0, signal: null });
  daemon = undefined;
}, 180_000);
