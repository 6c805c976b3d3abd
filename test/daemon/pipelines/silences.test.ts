// Silences in a real LevelDB store with a manual clock: what a silence covers (alert, key, from its making to
// its expiry by batch time), that it is stored before add() resolves and read back by a new process, and that
// expired or unreadable stored silences are dropped.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Silences } from '../../../daemon/pipelines/silences.js';
import { Store } from '../../../daemon/store/store.js';

let dir: string;
let store: Store;
let now: number;
const clock = () => now;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-silences-'));
  store = await Store.open(dir, 'process');
  now = 1_000_000;
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Silences', () => {
  test('covers its alert (one key or all) from when it was made until it expires, by batch time', async () => {
    const silences = new Silences(clock);
    await silences.open(store);
    const one = await silences.add({ alert: 'overheat', key: 's-7', durationMs: 60_000 });
    expect(one).toMatchObject({ alert: 'overheat', key: 's-7', comment: null, createdMs: now });
    expect(one.expiresMs).toBe(now + 60_000);
    expect(silences.match('overheat', 's-7', now)?.id).toBe(one.id);
    expect(silences.match('overheat', 's-7', now + 59_999)?.id).toBe(one.id);
    expect(silences.match('overheat', 's-7', now + 60_000)).toBeUndefined();
    // A batch cut before the silence was made is not covered: a replay decides as the first run did.
    expect(silences.match('overheat', 's-7', now - 1)).toBeUndefined();
    expect(silences.match('overheat', 's-8', now)).toBeUndefined();
    expect(silences.match('too-cold', 's-7', now)).toBeUndefined();

    const all = await silences.add({ alert: 'overheat', durationMs: 120_000, comment: 'maintenance' });
    expect(all.key).toBeNull();
    expect(silences.match('overheat', 's-8', now)?.id).toBe(all.id);
    // Of two covering silences, the one that lasts longer answers (and says until when).
    expect(silences.match('overheat', 's-7', now)?.id).toBe(all.id);
    expect(silences.silencedUntil('overheat', 's-7')).toBe(now + 120_000);
    expect(silences.active().map((s) => s.id)).toEqual([one.id, all.id]);
  });

  test('is read back from the store by a new instance, and an expired one is dropped there', async () => {
    const first = new Silences(clock);
    await first.open(store);
    const short = await first.add({ alert: 'overheat', durationMs: 1000 });
    const long = await first.add({ alert: 'overheat', key: 's-1', durationMs: 3_600_000, comment: 'fan' });
    first.count(long.id);
    await store.close();

    now += 5000;
    store = await Store.open(dir, 'process');
    const second = new Silences(clock);
    await second.open(store);
    expect(second.active()).toEqual([{ ...long, suppressed: 0 }]);
    expect(second.match('overheat', 's-2', now)).toBeUndefined();
    const stored: string[] = [];
    for await (const key of store.meta.keys({ gte: 'silence/', lt: 'silence/~' })) stored.push(key);
    expect(stored).toEqual([`silence/${long.id}`]);
    expect(short.id).not.toBe(long.id);
  });

  test('drops a stored value it cannot read instead of trusting it', async () => {
    await store.write([
      { type: 'put', sublevel: store.meta, key: 'silence/junk', value: { alert: 'overheat' } },
      { type: 'put', sublevel: store.meta, key: 'silence/other', value: 'not an object' },
    ]);
    const silences = new Silences(clock);
    await silences.open(store);
    expect(silences.active()).toEqual([]);
    const stored: string[] = [];
    for await (const key of store.meta.keys({ gte: 'silence/', lt: 'silence/~' })) stored.push(key);
    expect(stored).toEqual([]);
  });

  test('prune deletes what expired, remove ends one early, and both say what they removed', async () => {
    const silences = new Silences(clock);
    await silences.open(store);
    const a = await silences.add({ alert: 'overheat', durationMs: 1000 });
    const b = await silences.add({ alert: 'overheat', durationMs: 10_000 });
    const c = await silences.add({ alert: 'overheat', durationMs: 20_000 });
    expect(await silences.remove(c.id)).toEqual(c);
    expect(await silences.remove(c.id)).toBeUndefined();
    now += 1000;
    expect(await silences.prune()).toEqual([a]);
    expect(await silences.prune()).toEqual([]);
    expect(silences.active().map((s) => s.id)).toEqual([b.id]);
    // Expired but not yet pruned: gone for remove() too.
    now += 10_000;
    expect(await silences.remove(b.id)).toBeUndefined();
  });

  test('refuses to make a silence before the store is open', async () => {
    const silences = new Silences(clock);
    await expect(silences.add({ alert: 'overheat', durationMs: 1000 })).rejects.toThrow(/still starting/);
  });
});
