// A receiver's progress (a file offset, a Kafka offset) is written in the same atomic write as the records that
// reach it, so after a crash the saved position is exactly where the write-ahead log ends; a delivery carrying
// progress is never split across writes while it fits the bound.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RawMessage } from '../../../connectors/types.js';
import { Intake, PROGRESS } from '../../../daemon/intake/intake.js';
import { recordBuilder } from '../../../daemon/intake/record.js';
import { decodeWalEntry } from '../../../daemon/intake/wal.js';
import { Store, type BatchOp } from '../../../daemon/store/store.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-progress-'));
  store = await Store.open(dir, 'process');
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const message = (n: number | string): RawMessage => ({
  payload: Buffer.from(typeof n === 'number' ? JSON.stringify({ n }) : n),
  topic: 't',
  arrivalMs: 1_000,
});

function intakeWith(ids: string[], options: { maxPending?: number } = {}): Intake {
  const intake = new Intake(store, options);
  for (const id of ids) {
    intake.addReceiver(id, recordBuilder({ receiver: id, format: 'json', timeFormat: 'auto' }));
  }
  return intake;
}

/** Records every write's ops, then writes them. */
function recordWrites(target: Store): BatchOp[][] {
  const write = target.write.bind(target);
  const writes: BatchOp[][] = [];
  target.write = (ops) => {
    writes.push([...ops]);
    return write(ops);
  };
  return writes;
}

it('writes progress in the same write as the records and dead letters it follows', async () => {
  const writes = recordWrites(store);
  const intake = intakeWith(['r']);
  await intake.deliver('r', [message(1), message('not json')], {
    progress: [['file-a', { offset: 20 }]],
  });
  expect(writes).toHaveLength(1);
  const keys = (writes[0] ?? []).map((op) => [op.sublevel === store.meta ? 'meta' : 'other', op.key]);
  expect(keys).toContainEqual(['meta', `${PROGRESS}r/file-a`]);
  expect((writes[0] ?? []).filter((op) => op.sublevel === store.wal)).toHaveLength(1);
  expect((writes[0] ?? []).filter((op) => op.sublevel === store.dead)).toHaveLength(1);
  expect([...(await intake.savedProgress('r'))]).toEqual([['file-a', { offset: 20 }]]);
});

it('keeps each receiver’s progress apart, overwrites a key, deletes it with null, and survives a reopen', async () => {
  const intake = intakeWith(['r', 'r0', 'r-2']);
  await intake.deliver('r', [message(1)], {
    progress: [
      ['a', 1],
      ['b', 1],
    ],
  });
  await intake.deliver('r0', [], { progress: [['a', 'other']] });
  await intake.deliver('r-2', [message(2)], { progress: [['a', 'third']] });
  await intake.deliver('r', [message(3)], {
    progress: [
      ['a', 2],
      ['b', null],
    ],
  });
  expect([...(await intake.savedProgress('r'))]).toEqual([['a', 2]]);
  expect([...(await intake.savedProgress('r0'))]).toEqual([['a', 'other']]);
  await store.close();
  store = await Store.open(dir, 'process');
  const reopened = intakeWith(['r', 'r-2']);
  expect([...(await reopened.savedProgress('r'))]).toEqual([['a', 2]]);
  expect([...(await reopened.savedProgress('r-2'))]).toEqual([['a', 'third']]);
});

it('does not save progress when the write fails', async () => {
  const intake = intakeWith(['r']);
  await intake.deliver('r', [message(1)], { progress: [['a', 1]] });
  store.write = () => Promise.reject(new Error('disk full (test)'));
  await expect(intake.deliver('r', [message(2)], { progress: [['a', 2]] })).rejects.toThrow();
  expect([...(await intake.savedProgress('r'))]).toEqual([['a', 1]]);
});

it('waits for room for a whole delivery with progress instead of splitting it across writes', async () => {
  const writes = recordWrites(store);
  const intake = intakeWith(['r'], { maxPending: 3 });
  await intake.deliver('r', [message(1), message(2)]);
  let resolved = false;
  const delivery = intake.deliver('r', [message(3), message(4)], { progress: [['a', 4]] }).then(() => {
    resolved = true;
  });
  await intake.drain();
  await new Promise((r) => setImmediate(r));
  expect(resolved).toBe(false);
  expect(writes).toHaveLength(1); // nothing of the second delivery written yet: it does not fit beside 1 and 2
  expect(intake.cut().records.map((r) => r.fields.n)).toEqual([1, 2]);
  await delivery;
  expect(writes).toHaveLength(2);
  const second = writes[1] ?? [];
  // One WAL entry holds the write's records (intake/wal.ts).
  const wal = second.filter((op) => op.type === 'put' && op.sublevel === store.wal);
  expect(
    wal.flatMap((op) => (op.type === 'put' ? decodeWalEntry(op.key, 0, op.value).records : [])),
  ).toHaveLength(2);
  expect(second.some((op) => op.key === `${PROGRESS}r/a`)).toBe(true);
});
