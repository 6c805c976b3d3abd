// An MQTT broker that refuses service for a while: the gateway reaches Mosquitto through a TCP relay the test
// controls, which for a few seconds accepts each connection and closes it at once (a broker starting up, a
// listener behind a dead backend). Checked: the receiver reports degraded with the reason, retries with a
// jittered exponential backoff whose attempts over the outage stay within the bound the backoff settings give
// (counted at the relay, each gap no shorter than half its ceiling), and every QoS 1 reading published before,
// during and after the outage is counted exactly once. A broker that is stopped and restarted on the same
// persistence (connections refused) is test/daemon/broker-restart.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { checkConfigText } from '../../daemon/config/load.js';
import type { BackoffOptions } from '../../daemon/supervisor.js';
import { countingConfig, mqttSensors } from '../support/gateway-configs.js';
import { receiverStatus } from '../support/gateway-status.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { publishReadings } from '../support/readings.js';
import { countedReadings, readWindowResults, summed } from '../support/window-results.js';
import { waitFor } from '../support/wait.js';

const T0 = 1_700_000_000_000;
const PER_PHASE = 300;
const OUTAGE_MS = 4000;
const BACKOFF = { initialMs: 100, maxMs: 800 } satisfies BackoffOptions;

let broker: Mosquitto;
let relay: Server;
let dir: string;
let gateway: Gateway | undefined;
/** While true the relay closes every connection as soon as it is accepted. */
let refusing = false;
/** When the relay accepted each connection it closed, ms (performance.now). */
const refused: number[] = [];
const open = new Set<Socket>();

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-refusing-'));
  relay = createServer((socket) => {
    if (refusing) {
      refused.push(performance.now());
      socket.destroy();
      return;
    }
    const upstream = createConnection(broker.port, '127.0.0.1');
    open.add(socket);
    const close = (): void => {
      open.delete(socket);
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise((resolve) => relay.close(resolve));
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

/** Publishes readings first..first+count-1 at QoS 1 straight to the broker. */
async function publish(first: number, count: number): Promise<void> {
  await publishReadings(broker.url, { first, count, keys: 5, t0: T0 });
}

/** Most attempts the backoff allows in ms: every delay at its shortest, half its ceiling. */
function mostAttempts(ms: number): number {
  let n = 0;
  for (let t = 0; ; n++) {
    t += Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** n) / 2;
    if (t > ms) return n;
  }
}

test('backs off within its bound while the broker closes every connection, and loses nothing', async () => {
  const address = relay.address();
  if (address === null || typeof address === 'string') throw new Error('the relay has no port');
  const out = path.join(dir, 'out.jsonl');
  const check = checkConfigText(
    countingConfig({
      id: 'refusing',
      stateDir: path.join(dir, 'state'),
      receivers: { sensors: mqttSensors({ url: `mqtt://127.0.0.1:${address.port}`, qos: 1 }) },
      out,
    }),
  );
  if (!check.ok) throw new Error(JSON.stringify(check.issues));
  gateway = createGateway(check.config, { log: pino({ level: 'silent' }), backoff: { ...BACKOFF } });
  const g = gateway;
  await g.start();
  const receiver = receiverStatus(g, 'sensors');
  await waitFor('the receiver to connect', () => (receiver().state === 'connected' ? true : undefined));
  await publish(0, PER_PHASE);
  await waitFor('phase A received', () => (receiver().records >= PER_PHASE ? true : undefined));

  // The outage: the relay drops the live connection and closes every new one.
  refusing = true;
  const outageStart = performance.now();
  for (const socket of open) socket.destroy();
  await waitFor('the receiver to report the loss', () =>
    receiver().state === 'degraded' ? true : undefined,
  );
  expect(receiver().lastError?.message).toBeTruthy();
  await publish(PER_PHASE, PER_PHASE); // waits in the gateway's persistent session at the broker
  await new Promise((r) => setTimeout(r, OUTAGE_MS - (performance.now() - outageStart)));
  refusing = false;
  const outage = performance.now() - outageStart;
  const attempts = refused.length;
  expect(receiver().state).toBe('degraded');
  expect(receiver().failures).toBeGreaterThanOrEqual(attempts);
  console.log(
    `outage ${Math.round(outage)} ms: ${attempts} connection attempts (bound ${mostAttempts(outage)})`,
  );
  expect(attempts).toBeGreaterThanOrEqual(3);
  expect(attempts).toBeLessThanOrEqual(mostAttempts(outage));
  // Each retry waits at least half its ceiling: the first retry follows the drop, retry k the attempt k-1.
  const share: number[] = []; // each gap as a share of its ceiling: uniform in [0.5, 1) with jitter
  for (let k = 1; k < refused.length; k++) {
    const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** k);
    const gap = (refused[k] as number) - (refused[k - 1] as number);
    expect(gap).toBeGreaterThanOrEqual(ceiling / 2 - 5);
    share.push(gap / ceiling);
  }
  // Jittered, not a fixed schedule: with four gaps or more, all within 5 % of one another has odds below 1/200.
  if (share.length >= 4) expect(Math.max(...share) - Math.min(...share)).toBeGreaterThan(0.05);

  await waitFor('the receiver to reconnect', () => (receiver().state === 'connected' ? true : undefined), {
    timeoutMs: 10_000,
  });
  await publish(2 * PER_PHASE, PER_PHASE);
  await publish(10_000_000, 1); // far ahead: closes every window
  const total = 3 * PER_PHASE;
  const byId = await waitFor('every reading counted', async () => {
    const results = await readWindowResults(out);
    return countedReadings(results) >= total ? results : undefined;
  });
  expect(countedReadings(byId)).toBe(total);
  expect(summed(byId, 'v_sum')).toBe((total * (total - 1)) / 2);
  expect(await g.deadLetters()).toEqual([]);
}, 60_000);
