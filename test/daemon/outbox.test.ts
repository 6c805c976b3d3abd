// A sink's outbox with its bounds, on a real LevelDB: drop-oldest deletes the oldest entries in the same write
// that adds the new ones, reject-new leaves the new ones out, maxAge drops by batch time, and the running
// counters (entries, bytes, oldest key, drops per reason) always match what a scan of the store finds, also
// when an entry is dropped while the forwarder is sending it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { OutboxEntry } from '../../connectors/types.js';
import { outboxLimitsSchema } from '../../daemon/config/common-schemas.js';
import { entryBytes, Outbox, OutboxSet } from '../../daemon/outbox.js';
import { outboxKey } from '../../daemon/store/keys.js';
import { Store } from '../../daemon/store/store.js';
import { sinks } from '../../connectors/registry.js';

const T0 = 1_700_000_000_000;
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-outbox-'));
  store = await Store.open(dir, 'process');
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** An entry of exactly 100 bytes as entryBytes counts them. */
function entry(n: number): OutboxEntry {
  const id = `gw/p/k/${String(n).padStart(6, '0')}`;
  const base = { id, key: 'k', value: '' };
  return { ...base, value: 'v'.repeat(100 - entryBytes(base)) };
}

async function open(limits: Record<string, unknown>, now = () => T0): Promise<Outbox> {
  return Outbox.open(store, 'up', outboxLimitsSchema.parse(limits), now);
}

/** Commits a batch of entries the way the driver does: plan, one write, settle. */
async function commit(outbox: Outbox, t: number, entries: OutboxEntry[]): Promise<void> {
  const set = new OutboxSet();
  set.add(outbox);
  const plan = await set.plan(t, new Map([['up', entries]]));
  await store.write(plan.ops);
  await plan.committed();
}

/** What the store holds, by scanning it: the oracle for the counters. */
async function scan(): Promise<{ keys: string[]; ids: string[]; bytes: number }> {
  const keys: string[] = [];
  const ids: string[] = [];
  let bytes = 0;
  for await (const [key, value] of store.outbox('up').iterator()) {
    keys.push(key);
    ids.push((value as OutboxEntry).id);
    bytes += entryBytes(value as OutboxEntry);
  }
  return { keys, ids, bytes };
}

async function expectCountersMatchStore(outbox: Outbox): Promise<void> {
  const { keys, bytes } = await scan();
  const counters = outbox.counters;
  expect(counters.entries).toBe(keys.length);
  expect(counters.bytes).toBe(bytes);
  expect(counters.oldestKey).toBe(keys[0] ?? null);
}

const range = (from: number, count: number): OutboxEntry[] =>
  Array.from({ length: count }, (_, i) => entry(from + i));

describe('an outbox with drop-oldest', () => {
  test('deletes the oldest entries in the commit that adds new ones, and counts them as dropped.full', async () => {
    const outbox = await open({ maxBytes: '1000B', onFull: 'drop-oldest' });
    await commit(outbox, T0, range(0, 6));
    await commit(outbox, T0 + 100, range(6, 6));
    const { ids } = await scan();
    expect(ids).toEqual(range(2, 10).map((e) => e.id));
    expect(outbox.counters.dropped).toEqual({ full: 2, age: 0 });
    await expectCountersMatchStore(outbox);
  });

  test('keeps the newest part of a batch larger than the whole outbox', async () => {
    const outbox = await open({ maxBytes: '500B' });
    await commit(outbox, T0, range(0, 3));
    await commit(outbox, T0 + 100, range(3, 8));
    expect((await scan()).ids).toEqual(range(6, 5).map((e) => e.id));
    expect(outbox.counters.dropped.full).toBe(6);
    await expectCountersMatchStore(outbox);
  });

  test('does not count an entry dropped while it is being sent as lost when its send succeeds', async () => {
    const outbox = await open({ maxBytes: '1000B' });
    await commit(outbox, T0, range(0, 10));
    const { keys } = await outbox.take(3);
    await commit(outbox, T0 + 100, range(10, 5));
    expect(outbox.counters.dropped.full).toBe(5);
    await expectCountersMatchStore(outbox);
    // Those 3 arrived after all: only the 2 never sent are lost.
    await outbox.acknowledge(keys);
    expect((await scan()).ids).toEqual(range(5, 10).map((e) => e.id));
    expect(outbox.counters.dropped.full).toBe(2);
    await expectCountersMatchStore(outbox);
  });

  test('counts an entry dropped while its send fails as lost', async () => {
    const outbox = await open({ maxBytes: '1000B' });
    await commit(outbox, T0, range(0, 10));
    const { keys } = await outbox.take(3);
    await commit(outbox, T0 + 100, range(10, 5));
    outbox.abandon(keys);
    await outbox.acknowledge((await outbox.take(2)).keys);
    expect(outbox.counters.dropped.full).toBe(5);
    await expectCountersMatchStore(outbox);
  });
});

describe('an outbox with reject-new', () => {
  test('leaves out the new entries that do not fit, counts them, and takes new ones once there is room', async () => {
    const outbox = await open({ maxBytes: '1000B', onFull: 'reject-new' });
    await commit(outbox, T0, range(0, 8));
    await commit(outbox, T0 + 100, range(8, 5));
    expect((await scan()).ids).toEqual(range(0, 10).map((e) => e.id));
    expect(outbox.counters.dropped).toEqual({ full: 3, age: 0 });
    const { keys } = await outbox.take(4);
    await outbox.acknowledge(keys);
    await commit(outbox, T0 + 200, range(13, 5));
    expect((await scan()).ids).toEqual([...range(4, 6), ...range(13, 4)].map((e) => e.id));
    expect(outbox.counters.dropped.full).toBe(4);
    await expectCountersMatchStore(outbox);
  });
});

describe('an outbox with maxAge', () => {
  test('drops entries older than maxAge by batch time at the next commit, counted as dropped.age', async () => {
    let now = T0;
    const outbox = await open({ maxAge: '10s' }, () => now);
    await commit(outbox, T0, range(0, 2));
    await commit(outbox, T0 + 5_000, range(2, 2));
    now = T0 + 12_000;
    await commit(outbox, T0 + 12_000, range(4, 1));
    expect((await scan()).ids).toEqual(range(2, 3).map((e) => e.id));
    expect(outbox.counters.dropped).toEqual({ full: 0, age: 2 });
    await expectCountersMatchStore(outbox);
  });
});

test('counts what the store already holds when it opens', async () => {
  const first = await open({});
  await commit(first, T0, range(0, 7));
  const reopened = await open({});
  expect(reopened.counters).toMatchObject({ entries: 7, bytes: 700, oldestKey: outboxKey(T0, 0) });
});

test('every sink type has the outbox and drain keys (spread sinkCommonShape from daemon/config/common-schemas.ts)', () => {
  for (const entry of sinks) {
    const shape = (entry.configSchema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    expect(Object.keys(shape), `sink type ${entry.type}`).toEqual(
      expect.arrayContaining(['outbox', 'drain']),
    );
  }
});
