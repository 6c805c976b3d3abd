// A webhook target that is stuck for a while: a local HTTP server that, for 3 s, sleeps longer than the sink's
// timeout before it answers, then answers 200 at once. Checked: every alert notification the gateway committed
// reaches the target once it recovers, in order per key (a repeat never overtakes the notification before it),
// and the stuck target does not slow the daemon's batches: they kept being committed every interval, with a
// total delay below the sink's timeout, while requests were timing out.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { checkConfigText } from '../../daemon/config/load.js';
import type { BatchStats } from '../../daemon/driver.js';
import { waitFor } from '../support/wait.js';

const INTERVAL = 100;
const TIMEOUT = 300;
const STUCK_MS = 3000;

interface Arrival {
  id: string;
  key: string;
  /** Answered 200 before the sink's timeout: delivered. */
  delivered: boolean;
}

let dir: string;
let server: Server;
let url: string;
let gateway: Gateway | undefined;
/** While true, each request sleeps three timeouts before its 200. */
let stuck = false;
const arrivals: Arrival[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-webhook-stuck-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; key: string };
      const slow = stuck;
      arrivals.push({ id: body.id, key: body.key, delivered: !slow });
      if (slow) setTimeout(() => res.writeHead(200).end(), 3 * TIMEOUT);
      else res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await gateway?.stop();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

test('notifications arrive in order once a stuck webhook recovers, and batches never wait for it', async () => {
  const check = checkConfigText(`gateway: { id: gw }
batch: { interval: ${INTERVAL}ms }
state: { dir: ${path.join(dir, 'state')} }
receivers:
  sim: { type: simulator, sensors: 2, interval: 50ms }
pipelines:
  climate:
    from: [sim]
    window: { length: 500ms }
    aggregate: { n: count(), temp_max: max(temp) }
    to: [archive]
sinks:
  archive: { type: file, path: ${path.join(dir, 'archive.jsonl')} }
  ops: { type: webhook, url: "${url}", secret: "test-secret", timeout: ${TIMEOUT}ms }
alerts:
  busy:
    from: climate
    when: n > 0.0
    repeat: 500ms
    notify: [ops]
`);
  if (!check.ok) throw new Error(JSON.stringify(check.issues));
  gateway = createGateway(check.config, {
    log: pino({ level: 'silent' }),
    backoff: { initialMs: 100, maxMs: 400 },
    driver: { statsKept: 10_000 },
  });
  const g = gateway;
  await g.start();
  await waitFor('the first notifications delivered', () => (arrivals.length >= 2 ? true : undefined));

  const batchesBefore = g.status().batches.length;
  stuck = true;
  const stuckAt = Date.now();
  await new Promise((r) => setTimeout(r, STUCK_MS));
  stuck = false;
  const stuckFor = Date.now() - stuckAt;
  const during: readonly BatchStats[] = g.status().batches.slice(batchesBefore);
  const before: readonly BatchStats[] = g.status().batches.slice(0, batchesBefore);
  const timedOut = arrivals.filter((a) => !a.delivered).length;
  const committed = g.alerts().length;
  console.log(
    `stuck ${stuckFor} ms: ${timedOut} requests timed out, ${during.length} batches committed, ` +
      `median total delay ${median(during.map((b) => b.totalDelayMs))} ms (before: ${median(before.map((b) => b.totalDelayMs))} ms)`,
  );
  expect(timedOut).toBeGreaterThanOrEqual(2); // the sink did wait on the stuck target, more than once
  // Batches kept being committed every interval: at least half of those due, and not waiting on the webhook.
  expect(during.length).toBeGreaterThanOrEqual(Math.floor(stuckFor / INTERVAL / 2));
  for (let i = 1; i < during.length; i++) {
    expect((during[i] as BatchStats).batchTimeMs - (during[i - 1] as BatchStats).batchTimeMs).toBe(INTERVAL);
  }
  expect(median(during.map((b) => b.totalDelayMs))).toBeLessThan(TIMEOUT);

  // Once it answers again, every notification committed so far is delivered.
  const ids = await waitFor(
    'every committed notification delivered',
    () => {
      const delivered = new Set(arrivals.filter((a) => a.delivered).map((a) => a.id));
      const wanted = g.alerts().map((n) => n.id);
      return wanted.length >= committed && wanted.every((id) => delivered.has(id)) ? wanted : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(ids.length).toBeGreaterThan(4);
  // In order per key: the ids by first arrival are the firing one, then repeats at rising times.
  for (const key of new Set(arrivals.map((a) => a.key))) {
    const firsts = [...new Set(arrivals.filter((a) => a.key === key).map((a) => a.id))];
    expect(firsts[0]).toMatch(/\/firing$/);
    const times = firsts.slice(1).map((id) => Number(id.split('/').at(-1)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
  }
}, 60_000);
