// The webhook sink behind the real forwarder, outbox and supervisor (LevelDB in a temp dir), against a local
// server that fails on cue: 500, 429 and timeouts are retried until they pass, in order, and nothing delivered
// is sent twice; a 400 moves that one entry to the sink's dead letters and the others go on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { webhookSinkConfigSchema } from '../../../../connectors/sinks/webhook/config.js';
import { createSink } from '../../../../connectors/sinks/webhook/index.js';
import { WebhookSink } from '../../../../connectors/sinks/webhook/sink.js';
import type { Logger, OutboxEntry } from '../../../../connectors/types.js';
import { outboxLimitsSchema } from '../../../../daemon/config/common-schemas.js';
import { Forwarder } from '../../../../daemon/forwarder.js';
import { Outbox, OutboxSet } from '../../../../daemon/outbox.js';
import { Store } from '../../../../daemon/store/store.js';
import { Supervisor } from '../../../../daemon/supervisor.js';
import { waitFor } from '../../../support/wait.js';
import { startWebhookServer, type Answer, type WebhookServer } from './webhook-server.js';

const SECRET = 'whsec_c2x1aWNlIGZvcndhcmRpbmcgdGVzdA==';
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

let dir: string;
let store: Store;
let server: WebhookServer;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-webhook-fwd-'));
  store = await Store.open(dir, 'process');
  server = await startWebhookServer(SECRET);
});

afterEach(async () => {
  await server.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const entry = (n: number): OutboxEntry => ({
  id: `gw/overheat/t-${n}/${n * 1000}/firing`,
  key: `t-${n}`,
  value: JSON.stringify({ n }),
});

/** Commits `count` entries into the outbox of sink `ops`, then drains it with the forwarder until empty. */
async function deliver(count: number, answers: Answer[], retryFor = '24h') {
  const outbox = await Outbox.open(store, 'ops', outboxLimitsSchema.parse({}));
  const set = new OutboxSet();
  set.add(outbox);
  const entries = Array.from({ length: count }, (_, i) => entry(i + 1));
  const plan = await set.plan(Date.now(), new Map([['ops', entries]]));
  await store.write(plan.ops);
  await plan.committed();

  server.script(...answers);
  const config = webhookSinkConfigSchema.parse({
    type: 'webhook',
    url: server.url,
    secret: SECRET,
    timeout: '300ms',
    retryFor,
  });
  const sink = createSink('ops', config, {
    log: silent,
    durability: 'process',
    disconnected: () => undefined,
  });
  const supervisor = new Supervisor('sink:ops', () => sink.connect(), silent, { initialMs: 10, maxMs: 20 });
  const dead = store.sinkDeadLetters('ops');
  const forwarder = new Forwarder('ops', sink, outbox, supervisor, silent, {
    chunk: 3,
    deadLetter: (key, e, reason) =>
      store.write([{ type: 'put', sublevel: dead, key, value: { ...e, reason } }]),
  });
  forwarder.start();
  await supervisor.start();
  await waitFor('the outbox to drain', () => (outbox.counters.entries === 0 ? true : undefined));
  await forwarder.stop();
  await supervisor.stop();
  await sink.close();
  const letters: unknown[] = [];
  for await (const value of dead.values()) letters.push(value);
  return { entries, forwarder, letters, supervisor };
}

test('retries 500, 429 and timeouts until delivered: in order, each delivered entry exactly once', async () => {
  const { entries, forwarder, letters } = await deliver(5, [
    { status: 200 },
    { status: 500 },
    { status: 429, headers: { 'retry-after': '0' } },
    { hang: true },
    { status: 503 },
  ]);
  const ids = entries.map((e) => e.id);
  // Delivered (2xx) requests, in the order they were acknowledged.
  const acknowledged = server.received.filter((r) => 'status' in r.answer && r.answer.status < 300);
  expect(acknowledged.map((r) => r.id)).toEqual(ids);
  // Every request was signed, and a retried entry kept its webhook-id.
  expect(server.received.every((r) => r.verified)).toBe(true);
  expect(server.received.map((r) => r.id)).toEqual([
    ids[0],
    ids[1],
    ids[1],
    ids[1],
    ids[1],
    ids[1],
    ids[2],
    ids[3],
    ids[4],
  ]);
  expect(forwarder.sent).toBe(5);
  expect(letters).toEqual([]);
});

test('a 400 sends that entry to the dead letters and the next ones go on, without a reconnect', async () => {
  const { entries, forwarder, letters, supervisor } = await deliver(4, [{ status: 200 }, { status: 400 }]);
  expect(server.received.map((r) => r.id)).toEqual(entries.map((e) => e.id));
  expect(letters).toEqual([{ ...entries[1], reason: 'HTTP 400' }]);
  expect(forwarder.sent).toBe(3);
  expect(forwarder.deadLettered).toBe(1);
  expect(supervisor.status.failures).toBe(0);
});

test('a redirect is never followed: the entry stays until the target answers 2xx', async () => {
  const { entries } = await deliver(1, [{ redirectTo: '/elsewhere' }, { redirectTo: '/elsewhere' }]);
  expect(server.received.map((r) => [r.id, r.path])).toEqual(
    [0, 1, 2].map(() => [entries[0]?.id, '/hooks/sluice']),
  );
});

test('an entry still failing after retryFor goes to the dead letters, and the next one gets its own retryFor', async () => {
  const { entries, letters, forwarder } = await deliver(
    2,
    Array.from({ length: 10_000 }, () => ({ status: 500 })),
    '150ms',
  );
  const reason = 'HTTP 500; gave up after 150 ms of retries';
  expect(letters).toEqual([
    { ...entries[0], reason, firstFailedMs: expect.any(Number) as number },
    { ...entries[1], reason, firstFailedMs: expect.any(Number) as number },
  ]);
  expect(forwarder.sent).toBe(0);
  for (const e of entries) {
    expect(server.received.filter((r) => r.id === e.id).length).toBeGreaterThan(2);
  }
});

test('the retryFor clock survives a restart: the first failure time is kept with the entry in the outbox', async () => {
  let clock = Date.now();
  const outbox = await Outbox.open(store, 'ops', outboxLimitsSchema.parse({}));
  const set = new OutboxSet();
  set.add(outbox);
  const plan = await set.plan(clock, new Map([['ops', [entry(1)]]]));
  await store.write(plan.ops);
  await plan.committed();
  server.script(...Array.from({ length: 10_000 }, () => ({ status: 500 })));
  const config = webhookSinkConfigSchema.parse({
    type: 'webhook',
    url: server.url,
    secret: SECRET,
    retryFor: '1h',
  });
  const dead = store.sinkDeadLetters('ops');
  /** One run of the daemon's sending side: a fresh sink, supervisor and forwarder, nothing kept in memory. */
  const run = async (until: () => boolean): Promise<void> => {
    const sink = new WebhookSink(
      'ops',
      config,
      { log: silent, durability: 'process', disconnected: () => undefined },
      () => clock,
    );
    const supervisor = new Supervisor('sink:ops', () => sink.connect(), silent, { initialMs: 10, maxMs: 20 });
    const forwarder = new Forwarder('ops', sink, outbox, supervisor, silent, {
      now: () => clock,
      deadLetter: (key, e, reason) =>
        store.write([{ type: 'put', sublevel: dead, key, value: { ...e, reason } }]),
    });
    forwarder.start();
    await supervisor.start();
    await waitFor('the run to get where it should', () => (until() ? true : undefined));
    await forwarder.stop();
    await supervisor.stop();
    await sink.close();
  };
  const firstFailedMs = clock;
  await run(() => server.received.length >= 3);
  const taken = await outbox.take(1);
  outbox.abandon(taken.keys);
  expect(taken.entries[0]?.firstFailedMs).toBe(firstFailedMs);

  // Down for longer than retryFor, then started again: the first failure after the restart gives up at once.
  clock += 2 * 60 * 60 * 1000;
  const before = server.received.length;
  await run(() => outbox.counters.entries === 0);
  expect(server.received.length - before).toBe(1);
  const letters: unknown[] = [];
  for await (const value of dead.values()) letters.push(value);
  expect(letters).toEqual([
    { ...entry(1), firstFailedMs, reason: 'HTTP 500; gave up after 3600000 ms of retries' },
  ]);
});
