// A broker redelivering more messages than Sluice's redelivery filter used to remember. A broker resends every
// QoS 1 message it has in flight and no PUBACK for (MQTT 3.1.1 §4.4, DUP set, same packet id) when the session
// resumes: after a SIGKILL with acknowledgements still in the sockets, or a connection that dies. How many that is
// depends on the broker's window, not on Sluice: Mosquitto's max_inflight_messages can be 0 (no limit), and
// Mosquitto 2.0.11 itself lets 20 more messages into flight per PUBACK it handles, so its default window of 20
// grows to the whole backlog (a crash test saw 319 such redeliveries after one kill, and 4,837 DUPs in one run).
// Here a relay between the gateway and a real Mosquitto swallows the gateway's PUBACKs for 3,000 readings, all
// of them durable, then cuts the connection: the broker sends all 3,000 again with DUP, and every one must be
// dropped. With a filter that remembers only the last 2,048 fingerprints, the oldest ~1,000 were counted twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { checkConfigText } from '../../daemon/config/load.js';
import { countingConfig, mqttSensors } from '../support/gateway-configs.js';
import { receiverStatus } from '../support/gateway-status.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { startMqttRelay, type MqttRelay } from '../support/mqtt-relay.js';
import { publishReadings } from '../support/readings.js';
import { countedReadings, readWindowResults, summed } from '../support/window-results.js';
import { waitFor } from '../support/wait.js';

const T0 = 1_700_000_000_000;
const READINGS = 3000;
const PUBACK = 4;

let broker: Mosquitto;
let relay: MqttRelay;
let dir: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  // No in-flight limit: every reading is sent to the gateway at once, whatever happens to its PUBACKs.
  broker = await startMosquitto({ maxInflightMessages: 0 });
  relay = await startMqttRelay(broker.port);
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-redelivery-window-'));
});

afterAll(async () => {
  await gateway?.stop();
  await relay.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

test(`drops the broker's DUP redelivery of all ${READINGS} in-flight readings it already holds`, async () => {
  const out = path.join(dir, 'out.jsonl');
  const check = checkConfigText(
    countingConfig({
      id: 'redelivery-window',
      stateDir: path.join(dir, 'state'),
      receivers: { sensors: mqttSensors({ url: relay.url, qos: 1 }) },
      out,
    }),
  );
  if (!check.ok) throw new Error(JSON.stringify(check.issues));
  gateway = createGateway(check.config, {
    log: pino({ level: 'silent' }),
    backoff: { initialMs: 100, maxMs: 400 },
  });
  const g = gateway;
  await g.start();
  const receiver = receiverStatus(g, 'sensors');
  await waitFor('the receiver to connect', () => (receiver().state === 'connected' ? true : undefined));

  // Every PUBACK from here on is lost on its way to the broker; the gateway sends one only once a reading is in
  // its write-ahead log, so when all of them have been swallowed, all readings are durable.
  relay.swallowing = true;
  await publishReadings(broker.url, { first: 0, count: READINGS, keys: 20, t0: T0 });
  await waitFor(
    `${READINGS} PUBACKs swallowed`,
    () => ((relay.swallowed.get(PUBACK) ?? 0) >= READINGS ? true : undefined),
    { timeoutMs: 30_000 },
  );
  expect(relay.swallowed.get(PUBACK)).toBe(READINGS);

  // The connection dies; the gateway reconnects to its persistent session and the broker resends all of them.
  const connectedSince = receiver().sinceMs;
  relay.swallowing = false;
  relay.cut();
  await waitFor(
    'the receiver to reconnect',
    () => {
      const r = receiver();
      return r.state === 'connected' && r.sinceMs > connectedSince ? true : undefined;
    },
    { timeoutMs: 10_000 },
  );

  await publishReadings(broker.url, { first: 10_000_000, count: 1, keys: 1, t0: T0 }); // closes every window
  const byId = await waitFor(
    'every reading counted',
    async () => {
      const results = await readWindowResults(out);
      return countedReadings(results) >= READINGS ? results : undefined;
    },
    { timeoutMs: 30_000 },
  );
  // The broker resent everything before the flush reading, on the same session: a duplicate is in these counts.
  expect(countedReadings(byId)).toBe(READINGS);
  expect(summed(byId, 'v_sum')).toBe((READINGS * (READINGS - 1)) / 2);
}, 90_000);
