// The forwarder drains an outbox in key order into a sink, deletes only what the sink acknowledged, and honours
// a drain cap: with an injected clock, over any stretch of its sends it never passes what its token bucket
// allows (one second's worth of burst plus the rate times the stretch). No timing assertions: the clock is ours.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Logger, OutboxEntry, Sink } from '../../connectors/types.js';
import { outboxLimitsSchema } from '../../daemon/config/common-schemas.js';
import { Forwarder } from '../../daemon/forwarder.js';
import { entryBytes, Outbox, OutboxSet } from '../../daemon/outbox.js';
import { Store } from '../../daemon/store/store.js';
import { Supervisor } from '../../daemon/supervisor.js';
import { waitFor } from '../support/wait.js';

const T0 = 1_700_000_000_000;
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-forwarder-'));
  store = await Store.open(dir, 'process');
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function entry(n: number, bytes: number): OutboxEntry {
  const id = `gw/p/k${n % 3}/${String(n).padStart(6, '0')}`;
  const base = { id, key: `k${n % 3}`, value: '' };
  return { ...base, value: 'v'.repeat(bytes - entryBytes(base)) };
}

/** A sink that records each send with the injected clock's time; fails the sends listed in `failAt`. */
function recordingSink(now: () => number, failAt: ReadonlySet<number> = new Set()) {
  const sends: { at: number; ids: string[]; bytes: number }[] = [];
  let calls = 0;
  const sink: Sink = {
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    send: (entries) => {
      if (failAt.has(calls++)) return Promise.reject(new Error('broker away'));
      sends.push({
        at: now(),
        ids: entries.map((e) => e.id),
        bytes: entries.reduce((sum, e) => sum + entryBytes(e), 0),
      });
      return Promise.resolve();
    },
  };
  return { sink, sends };
}

async function fill(
  outbox: Outbox,
  batches: number,
  perBatch: number,
  bytes: number,
): Promise<OutboxEntry[]> {
  const set = new OutboxSet();
  set.add(outbox);
  const all: OutboxEntry[] = [];
  for (let b = 0; b < batches; b++) {
    const entries = Array.from({ length: perBatch }, (_, i) => entry(b * perBatch + i, bytes));
    const plan = await set.plan(T0 + b * 100, new Map([['up', entries]]));
    await store.write(plan.ops);
    await plan.committed();
    all.push(...entries);
  }
  return all;
}

async function runUntilDrained(forwarder: Forwarder, supervisor: Supervisor, outbox: Outbox): Promise<void> {
  forwarder.start();
  await supervisor.start();
  await waitFor('the outbox to drain', () => (outbox.counters.entries === 0 ? true : undefined));
  await forwarder.stop();
  await supervisor.stop();
}

test('sends everything in key order and stays within its drain cap over every stretch of sends', async () => {
  let clock = T0;
  const now = (): number => clock;
  const outbox = await Outbox.open(store, 'up', outboxLimitsSchema.parse({}), now);
  const all = await fill(outbox, 20, 25, 200); // 100 000 bytes
  const { sink, sends } = recordingSink(now);
  const supervisor = new Supervisor('sink:up', () => sink.connect(), silent);
  const rate = 10_000;
  const slept: number[] = [];
  const forwarder = new Forwarder('up', sink, outbox, supervisor, silent, {
    chunk: 100,
    drain: { maxBytesPerSecond: rate },
    now,
    sleep: (ms) => {
      slept.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  });
  await runUntilDrained(forwarder, supervisor, outbox);

  expect(sends.flatMap((s) => s.ids)).toEqual(all.map((e) => e.id));
  // Token bucket: sends i..j together never exceed capacity (one second's worth) + rate × their time span.
  for (let i = 0; i < sends.length; i++) {
    let total = 0;
    for (let j = i; j < sends.length; j++) {
      total += (sends[j] as { bytes: number }).bytes;
      const span = (sends[j] as { at: number }).at - (sends[i] as { at: number }).at;
      expect(total, `sends ${i}..${j}`).toBeLessThanOrEqual(rate + (rate * span) / 1000);
    }
  }
  // It did have to wait: 100 000 bytes at 10 000 B/s take at least 9 s of its clock after the first burst.
  expect(clock - T0).toBeGreaterThanOrEqual(9_000);
  expect(forwarder.sentBytes).toBe(100_000);
});

test('without a cap it never waits on its clock, and a failed send keeps its entries for the next attempt', async () => {
  let clock = T0;
  const now = (): number => clock;
  const outbox = await Outbox.open(store, 'up', outboxLimitsSchema.parse({}), now);
  const all = await fill(outbox, 4, 50, 120);
  const { sink, sends } = recordingSink(now, new Set([1]));
  const supervisor = new Supervisor('sink:up', () => sink.connect(), silent, { initialMs: 1, maxMs: 2 });
  const forwarder = new Forwarder('up', sink, outbox, supervisor, silent, {
    chunk: 30,
    now,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
  });
  await runUntilDrained(forwarder, supervisor, outbox);
  expect(sends.flatMap((s) => s.ids)).toEqual(all.map((e) => e.id));
  expect(clock).toBe(T0);
});

test('a failed delete of a sent chunk stops the overlap: that chunk and the ones after it are sent again, none lost', async () => {
  const now = (): number => T0;
  const outbox = await Outbox.open(store, 'up', outboxLimitsSchema.parse({}), now);
  const all = await fill(outbox, 6, 50, 100);
  const { sink, sends } = recordingSink(now);
  // The store refuses the third delete once (a full disk, say): those entries were delivered but stay.
  const acknowledge = outbox.acknowledge.bind(outbox);
  let deletes = 0;
  outbox.acknowledge = (keys) =>
    ++deletes === 3 ? Promise.reject(new Error('no space left on device')) : acknowledge(keys);
  const supervisor = new Supervisor('sink:up', () => sink.connect(), silent);
  const forwarder = new Forwarder('up', sink, outbox, supervisor, silent, {
    chunk: 40,
    now,
    sleep: () => Promise.resolve(),
  });
  await runUntilDrained(forwarder, supervisor, outbox);

  const sent = sends.flatMap((s) => s.ids);
  expect(sent.length).toBeGreaterThan(all.length);
  // At least once each, and in order by first sending.
  expect([...new Set(sent)]).toEqual(all.map((e) => e.id));
  expect(forwarder.sent).toBe(all.length);
  expect(outbox.counters.bytes).toBe(0);
});
