// The intake's group commit against LevelDB on disk: a write starts as soon as none is in progress, messages that
// arrive during a write go together in the next one, WAL order is deliver() order, a failed write rejects exactly
// its own deliveries, and the redelivery filter is persisted with the write that carries its messages.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RawMessage } from '../../../connectors/types.js';
import { Intake, redeliveryPrefix } from '../../../daemon/intake/intake.js';
import { recordBuilder } from '../../../daemon/intake/record.js';
import { parseFingerprints } from '../../../daemon/intake/redelivery-filter.js';
import { decodeWalEntry } from '../../../daemon/intake/wal.js';
import { Store, type BatchOp } from '../../../daemon/store/store.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-intake-'));
  store = await Store.open(dir, 'process');
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Gates store.write: every write waits until the test lets it finish (or fail), so writes can overlap with
 * deliveries deterministically. Records the ops of each write. */
function gateWrites(target: Store) {
  const write = target.write.bind(target);
  const writes: BatchOp[][] = [];
  const gates: { finish: () => void; fail: (err: Error) => void }[] = [];
  const started: (() => void)[] = [];
  target.write = (ops) => {
    writes.push([...ops]);
    for (const wake of started.splice(0)) wake();
    return new Promise<void>((resolve, reject) => {
      gates.push({
        finish: () => {
          write(ops).then(resolve, reject);
        },
        fail: reject,
      });
    });
  };
  return {
    writes,
    /** Resolves once the n-th write has started. */
    started(n: number): Promise<void> {
      if (writes.length >= n) return Promise.resolve();
      return new Promise((resolve) => {
        const check = (): void => {
          if (writes.length >= n) resolve();
          else started.push(check);
        };
        started.push(check);
      });
    },
    finish(i: number): void {
      gates[i]?.finish();
    },
    fail(i: number, err: Error): void {
      gates[i]?.fail(err);
    },
  };
}

const message = (n: number, extra: Partial<RawMessage> = {}): RawMessage => ({
  payload: Buffer.from(JSON.stringify({ n })),
  topic: 't',
  arrivalMs: 1_000 + n,
  ...extra,
});

function intakeWithReceiver(): Intake {
  const intake = new Intake(store);
  intake.addReceiver('r', recordBuilder({ receiver: 'r', format: 'json', timeFormat: 'auto' }));
  return intake;
}

/** The WAL records put by a write, by their field n. A write puts one WAL entry, whatever its records. */
const walNs = (ops: readonly BatchOp[]): unknown[] => {
  const entries = ops.filter((op) => op.type === 'put' && op.sublevel === store.wal);
  expect(entries.length).toBeLessThanOrEqual(1);
  return entries.flatMap((op) =>
    op.type === 'put' ? decodeWalEntry(op.key, 0, op.value).records.map((r) => r.fields.n) : [],
  );
};

it('starts a write at once and puts everything delivered during it into the next one, in deliver order', async () => {
  const gate = gateWrites(store);
  const intake = intakeWithReceiver();
  const first = intake.deliver('r', [message(1)]);
  await gate.started(1);
  const settled: number[] = [];
  const later = [2, 3, 4].map((n) =>
    intake.deliver('r', [message(n)]).then(() => {
      settled.push(n);
    }),
  );
  expect(gate.writes).toHaveLength(1);
  gate.finish(0);
  await first;
  await gate.started(2);
  expect(settled).toEqual([]); // not durable yet: their write is still open
  gate.finish(1);
  await Promise.all(later);
  expect(gate.writes.map(walNs)).toEqual([[1], [2, 3, 4]]);
  expect(intake.cut().records.map((r) => r.fields.n)).toEqual([1, 2, 3, 4]);
});

it('rejects exactly the deliveries of a failed write; those delivered during it are written next', async () => {
  const gate = gateWrites(store);
  const intake = intakeWithReceiver();
  const first = intake.deliver('r', [message(1)]);
  await gate.started(1);
  const second = intake.deliver('r', [message(2), message(3)]);
  gate.fail(0, new Error('disk full (test)'));
  await expect(first).rejects.toMatchObject({ code: 'SLUICE_STATE_IO' });
  await gate.started(2);
  gate.finish(1);
  await second;
  expect(gate.writes.map(walNs)).toEqual([[1], [2, 3]]);
  expect(intake.cut().records.map((r) => r.fields.n)).toEqual([2, 3]);
  expect(intake.lastError).toBeUndefined();
});

it('persists the redelivery filter with the write that carries the message, even when an earlier write fails', async () => {
  const gate = gateWrites(store);
  const intake = intakeWithReceiver();
  const first = intake.deliver('r', [message(1, { sourceId: '1' })]);
  await gate.started(1);
  // Staged while the first write is in progress: it belongs to the second write, whatever becomes of the first.
  const second = intake.deliver('r', [message(2, { sourceId: '2' })]);
  gate.fail(0, new Error('disk full (test)'));
  await expect(first).rejects.toThrow();
  await gate.started(2);
  gate.finish(1);
  await second;
  // Each write puts its own messages' fingerprints (a chunk), not the whole filter.
  const chunks = (ops: readonly BatchOp[] = []): (number | undefined)[] =>
    ops.flatMap((op) =>
      op.type === 'put' && op.key.startsWith(redeliveryPrefix('r'))
        ? [parseFingerprints(op.value)?.length]
        : [],
    );
  // One fingerprint (two int32) each; the redeliveries below show whose.
  expect(chunks(gate.writes[0])).toEqual([2]);
  expect(chunks(gate.writes[1])).toEqual([2]);

  // The broker sends message 2 again (DUP): it is held already, so it is dropped; message 1 is not held.
  const third = intake.deliver('r', [
    message(2, { sourceId: '2', redelivered: true }),
    message(1, { sourceId: '1', redelivered: true }),
  ]);
  await gate.started(3);
  gate.finish(2);
  await third;
  expect(intake.redeliveriesDropped('r')).toBe(1);
  expect(intake.cut().records.map((r) => r.fields.n)).toEqual([2, 1]);
});

it('drain() waits for the write in progress and the one queued behind it', async () => {
  const gate = gateWrites(store);
  const intake = intakeWithReceiver();
  const done: number[] = [];
  void intake.deliver('r', [message(1)]).then(() => done.push(1));
  await gate.started(1);
  void intake.deliver('r', [message(2)]).then(() => done.push(2));
  const drained = intake.drain().then(() => done.push(0));
  gate.finish(0);
  await gate.started(2);
  gate.finish(1);
  await drained;
  expect(done).toEqual([1, 2, 0]);
});

it('holds the bound per record: a long delivery writes what fits, waits for a cut, and resolves when all is durable', async () => {
  const intake = new Intake(store, { maxPending: 2 });
  intake.addReceiver('r', recordBuilder({ receiver: 'r', format: 'json', timeFormat: 'auto' }));
  let resolved = false;
  const delivery = intake
    .deliver(
      'r',
      [1, 2, 3, 4, 5].map((n) => message(n)),
    )
    .then(() => {
      resolved = true;
    });
  const cuts: unknown[][] = [];
  while (cuts.flat().length < 5) {
    await intake.drain();
    expect(intake.pendingCount).toBeLessThanOrEqual(2);
    const taken = intake.cut().records.map((r) => r.fields.n);
    if (taken.length > 0) cuts.push(taken);
    await new Promise((r) => setImmediate(r)); // let the woken delivery buffer its next part
  }
  await delivery;
  expect(resolved).toBe(true);
  expect(cuts).toEqual([[1, 2], [3, 4], [5]]);
});
