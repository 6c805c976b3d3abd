// The intake's redelivery filter on LevelDB on disk: each write stores its own messages' fingerprints as a chunk,
// the chunks that fall out of the window are deleted in the same write, and a reopened intake drops exactly the
// redeliveries (DUP) of messages it still remembers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RawMessage } from '../../../connectors/types.js';
import { Intake, REDELIVERY, redeliveryPrefix } from '../../../daemon/intake/intake.js';
import { recordBuilder } from '../../../daemon/intake/record.js';
import { messageHash, REMEMBERED } from '../../../daemon/intake/redelivery-filter.js';
import { Store } from '../../../daemon/store/store.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-redelivery-'));
  store = await Store.open(dir, 'process');
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function openIntake(): Promise<Intake> {
  const intake = new Intake(store);
  intake.addReceiver('r', recordBuilder({ receiver: 'r', format: 'json', timeFormat: 'auto' }));
  await intake.restoreRedeliveries();
  return intake;
}

/** Message n: packet id n (as MQTT's, 1..65535), payload {n}. */
const message = (n: number, redelivered = false): RawMessage => ({
  payload: Buffer.from(JSON.stringify({ n })),
  topic: 't',
  arrivalMs: 1_000,
  sourceId: String((n % 65535) + 1),
  ...(redelivered ? { redelivered: true } : {}),
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

async function chunkKeys(): Promise<string[]> {
  const prefix = redeliveryPrefix('r');
  return store.meta.keys({ gte: prefix, lt: `${prefix.slice(0, -1)}0` }).all();
}

it("remembers at least the last 65,536 messages (an MQTT session's packet ids) across a reopen, in bounded chunks, and drops only their DUPs", async () => {
  expect(REMEMBERED).toBe(65_536);
  const a = await openIntake();
  for (let i = 0; i < 68; i++)
    await a.deliver(
      'r',
      range(i * 1000, (i + 1) * 1000).map((n) => message(n)),
    );
  // 68 chunks of 1000: the two oldest go (66,000 left), the next would leave fewer than 65,536.
  expect(await chunkKeys()).toHaveLength(66);
  a.cut();
  await a.close();
  await store.close();

  store = await Store.open(dir, 'process');
  const b = await openIntake();
  await b.deliver('r', [
    message(67_999, true), // remembered: dropped
    message(2000, true), // the oldest remembered: dropped
    message(1999, true), // pushed out: taken (65,536 newer messages: the broker cannot still hold it unacknowledged)
    message(67_998), // no DUP flag: never dropped
    message(68_000, true), // never seen: taken
  ]);
  expect(b.redeliveriesDropped('r')).toBe(2);
  expect(b.cut().records.map((r) => r.fields.n)).toEqual([1999, 67_998, 68_000]);
  await b.close();
});

it('folds small writes into the newest chunk while it is small, and still drops their DUPs after a reopen', async () => {
  const a = await openIntake();
  for (let n = 0; n < 300; n++) await a.deliver('r', [message(n)]);
  // One message per write: chunks of 128, 128 and 44, not 300 chunks of one.
  expect(await chunkKeys()).toHaveLength(3);
  a.cut();
  await a.close();
  await store.close();

  store = await Store.open(dir, 'process');
  const b = await openIntake();
  await b.deliver(
    'r',
    range(0, 301).map((n) => message(n, true)),
  );
  expect(b.redeliveriesDropped('r')).toBe(300);
  expect(b.cut().records.map((r) => r.fields.n)).toEqual([300]);
  await b.close();
});

it('deletes a filter stored whole by older versions (another hash, it cannot match) with the next write', async () => {
  await store.write([{ type: 'put', sublevel: store.meta, key: `${REDELIVERY}r`, value: ['1:abcdef'] }]);
  const a = await openIntake();
  await a.deliver('r', [message(1)]);
  expect(await store.meta.get(`${REDELIVERY}r`)).toBeUndefined();
  expect(await chunkKeys()).toHaveLength(1);
  await a.close();
});

it('reads chunks an older version stored as JSON arrays of numbers, and drops their DUPs', async () => {
  // Messages 0..127: a chunk too big for the next write to be folded into it.
  const fingerprints = new Int32Array(2 * 128);
  for (const n of range(0, 128)) {
    const m = message(n);
    messageHash(m.sourceId ?? '', m.topic, m.payload, fingerprints.subarray(2 * n, 2 * n + 2));
  }
  const key = `${redeliveryPrefix('r')}${'1'.padStart(16, '0')}`;
  await store.write([{ type: 'put', sublevel: store.meta, key, value: Array.from(fingerprints) }]);
  const a = await openIntake();
  await a.deliver('r', [message(7, true), message(128, true)]);
  expect(a.redeliveriesDropped('r')).toBe(1);
  expect(a.cut().records.map((r) => r.fields.n)).toEqual([128]);
  // The new chunk is numbered after the old one and stored in the new form.
  const keys = await chunkKeys();
  expect(keys).toEqual([key, `${redeliveryPrefix('r')}${'2'.padStart(16, '0')}`]);
  expect(typeof (await store.meta.get(keys[1] ?? ''))).toBe('string');
  await a.close();
});

/** messageHash as one string, to compare. */
function hash(sourceId: string, topic: string, payload: string): string {
  const out = new Int32Array(2);
  messageHash(sourceId, topic, Buffer.from(payload), out);
  return out.join(',');
}

it('hashes source id, topic and payload apart, so a byte of one cannot pass for a byte of another', () => {
  expect(hash('1', 'ab', 'c')).not.toBe(hash('1', 'a', 'bc'));
  expect(hash('12', 't', 'c')).not.toBe(hash('1', '2t', 'c'));
  expect(hash('1', 't', '{"n":1}')).toBe(hash('1', 't', '{"n":1}'));
  expect(hash('1', 't', '{"n":1}')).not.toBe(hash('1', 't', '{"n":2}'));
  expect(hash('1', 't', '{"n":1}')).not.toBe(hash('2', 't', '{"n":1}'));
});
