// Recovery of the driver on a real LevelDB, in-process: records enter through the intake (the component every
// receiver hands messages to), batches run on an injected clock so the test decides which batches are cut, and
// a "crash" is the driver dying without its shutdown checkpoint and the store closing under it. Checked: a clean
// restart replays nothing and resumes; a crash replays the cut batches into the same outbox keys and ids; a new
// batch interval starts the state fresh but keeps unprocessed input; and the outbox stays in order throughout.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Logger, OutboxEntry } from '../../connectors/types.js';
import { checkConfigText } from '../../daemon/config/load.js';
import type { Config } from '../../daemon/config/schema.js';
import { Driver, type RecoveryReport } from '../../daemon/driver.js';
import { Intake } from '../../daemon/intake/intake.js';
import { recordBuilder, type IngestRecord } from '../../daemon/intake/record.js';
import { decodeWalEntry } from '../../daemon/intake/wal.js';
import { compilePipelines, type CompiledGraph } from '../../daemon/pipelines/compile.js';
import { seqKey } from '../../daemon/store/keys.js';
import { Store } from '../../daemon/store/store.js';
import { compileKey } from '../../operators/expressions/index.js';
import { waitFor } from '../support/wait.js';

/** Processing time of the first start: a multiple of every batch interval used here. */
const T = 1_700_000_000_000;
/** Event time of the readings (its own origin: event and processing time are unrelated here). */
const E0 = 1_600_000_000_000;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-recovery-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(interval: string, windowLength = '1s'): Config {
  const check = checkConfigText(`gateway: { id: gw }
batch: { interval: ${interval} }
state: { dir: ${path.join(dir, 'state')} }
receivers:
  sensors: { type: mqtt, url: "mqtt://127.0.0.1:1", topics: ["s/+"], qos: 1, key: "topicParts[1]", time: ts }
pipelines:
  counts:
    from: [sensors]
    window: { length: ${windowLength} }
    aggregate: { n: count(), v_sum: sum(v) }
    to: [out]
sinks:
  out: { type: file, path: ${path.join(dir, 'out.jsonl')} }
`);
  if (!check.ok) throw new Error(JSON.stringify(check.issues));
  return check.config;
}

interface LogLine {
  level: string;
  obj: object;
  msg: string;
}

function logger(lines: LogLine[]): Logger {
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The processing time every running daemon reads; a crashed one throws instead, which kills its driver. */
let now = T;

interface Daemon {
  store: Store;
  intake: Intake;
  driver: Driver;
  graph: CompiledGraph;
  report: RecoveryReport;
  logs: LogLine[];
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/** Wires the store, the intake, the pipelines and the driver as the gateway does, without receivers or sinks
 * (so outboxes only fill: nothing drains them). */
async function boot(cfg: Config): Promise<Daemon> {
  const logs: LogLine[] = [];
  const log = logger(logs);
  let dead = false;
  const clock = (): number => {
    if (dead) throw new Error('the daemon process died');
    return now;
  };
  const store = await Store.open(cfg.state.dir, cfg.state.durability);
  const intake = new Intake(store);
  const rc = cfg.receivers.sensors;
  if (rc?.type !== 'mqtt' || rc.key === undefined) throw new Error('the test config has an mqtt receiver');
  const key = compileKey(rc.key);
  if (!key.ok) throw new Error(key.error.message);
  intake.addReceiver(
    'sensors',
    recordBuilder({ receiver: 'sensors', format: rc.format, key: key.value, time: 'ts', timeFormat: 'auto' }),
  );
  const graph = compilePipelines(cfg, { now: clock });
  let died: (err: unknown) => void = () => undefined;
  const fatal = new Promise<unknown>((resolve) => (died = resolve));
  const driver = new Driver(store, intake, graph, log, { now: clock, onFatal: died });
  const report = await driver.recover();
  driver.start();
  return {
    store,
    intake,
    driver,
    graph,
    report,
    logs,
    // Like SIGKILL between batches: no shutdown checkpoint; what LevelDB has is what the next start finds.
    async crash() {
      dead = true;
      await fatal;
      await store.close();
    },
    async stop() {
      await intake.close();
      await driver.stop();
      await store.close();
    },
  };
}

/** Moves the clock to `to` and waits until the driver has run the batch at that time. */
async function runUntil(d: Daemon, to: number): Promise<void> {
  now = to;
  await waitFor(`the batch at ${to - T}`, () =>
    d.driver.stats.at(-1)?.batchTimeMs === to ? true : undefined,
  );
}

/** Runs the next batch that lies in the future of the clock. */
async function runNext(d: Daemon): Promise<void> {
  const interval = d.graph.ctx.batchIntervalMs;
  await runUntil(d, Math.max(d.graph.ctx.nextBatchTime(), Math.floor(now / interval) * interval + interval));
}

/** Readings at event times E0 + at[i] ms, for sensor k; v is the event offset, so sums identify readings. */
async function deliver(d: Daemon, k: string, at: readonly number[]): Promise<void> {
  await d.intake.deliver(
    'sensors',
    at.map((ms) => ({
      topic: `s/${k}`,
      payload: Buffer.from(JSON.stringify({ ts: E0 + ms, v: ms })),
      arrivalMs: now,
    })),
  );
}

async function outbox(store: Store): Promise<[string, OutboxEntry][]> {
  const entries: [string, OutboxEntry][] = [];
  for await (const [key, value] of store.outbox('out').iterator()) entries.push([key, value as OutboxEntry]);
  return entries;
}

interface Result {
  key: string;
  windowStart: number;
  values: { n: number; v_sum: number };
}

const results = (entries: [string, OutboxEntry][]): Result[] =>
  entries.map(([, e]) => JSON.parse(e.value) as Result);

const range = (from: number, to: number, step = 100): number[] =>
  Array.from({ length: Math.floor((to - from) / step) }, (_, i) => from + i * step);

describe('driver recovery', () => {
  test('after a clean stop replays nothing and resumes the state where it was', async () => {
    now = T;
    const a = await boot(config('100ms'));
    await deliver(a, 'k', range(0, 1500)); // window [0, 1 s) whole, [1 s, 2 s) half
    await runUntil(a, T + 100);
    await deliver(a, 'k', [1500, 1600]); // durable, not yet in a batch
    await a.stop();
    const stopped = await outbox(a.store).catch(() => undefined);
    expect(stopped).toBeUndefined(); // closed

    const b = await boot(config('100ms'));
    expect(b.report).toMatchObject({
      checkpointBatchMs: T + 100,
      replayedBatches: 0,
      replayedRecords: 0,
      uncommittedRecords: 2,
      incompatibleOperators: [],
    });
    await deliver(b, 'k', [1700, 1800, 1900]);
    await deliver(b, 'flush', [9000]);
    await runUntil(b, T + 200);
    // The batch after the checkpoint's, not a new timeline.
    expect(b.driver.stats.map((s) => s.batchTimeMs)).toEqual([T + 200]);
    const got = results(await outbox(b.store)).filter((r) => r.key === 'k');
    expect(got.map((r) => [r.windowStart - E0, r.values])).toEqual([
      [0, { n: 10, v_sum: 4500 }],
      [1000, { n: 10, v_sum: 14500 }], // five readings from the state, two uncommitted, three new
    ]);
    await b.stop();
  });

  test('after a crash replays the cut batches into the same outbox keys, ids and values', async () => {
    now = T;
    const a = await boot(config('100ms'));
    // Three batches, each closing the window before it; no checkpoint yet (every 10 batches).
    await deliver(a, 'k', range(0, 1000));
    await runUntil(a, T + 100);
    await deliver(a, 'k', range(1000, 2000));
    await deliver(a, 'j', [1050]);
    await runUntil(a, T + 200);
    await deliver(a, 'k', range(2000, 3000));
    await runUntil(a, T + 300);
    await deliver(a, 'k', [3000, 3100]); // in the WAL, in no batch
    const before = await outbox(a.store);
    expect(results(before).map((r) => [r.key, r.windowStart - E0, r.values.n])).toEqual([
      ['k', 0, 10],
      ['k', 1000, 10],
      ['j', 1000, 1],
    ]);
    const cut = a.driver.stats.length;
    await a.crash();

    // The forwarder had delivered and deleted the first two entries before the crash.
    const store = await Store.open(path.join(dir, 'state'), 'process');
    for (const [key] of before.slice(0, 2)) await store.outbox('out').del(key);
    await store.close();

    const b = await boot(config('100ms'));
    expect(b.report).toMatchObject({
      checkpointBatchMs: T - 100, // the empty one written when A first started
      replayedBatches: cut,
      replayedRecords: 31,
      uncommittedRecords: 2,
    });
    // Recomputed exactly: the same keys (batch time, position), the same ids, the same bytes.
    expect(await outbox(b.store)).toEqual(before);
    expect(b.driver.stats).toEqual([]); // replayed batches are not new batches

    await deliver(b, 'flush', [9000]);
    await runUntil(b, T + 400);
    const after = results(await outbox(b.store));
    expect(after.filter((r) => r.key === 'k').map((r) => [r.windowStart - E0, r.values.n])).toEqual([
      [0, 10],
      [1000, 10],
      [2000, 10],
      [3000, 2],
    ]);
    await b.stop();
  });

  test('after a crash does not write the dead letters of replayed batches again', async () => {
    now = T;
    const a = await boot(config('100ms'));
    await deliver(a, 'k', range(0, 1000));
    await deliver(a, 'k', [2500]); // the watermark passes 1 s: window [0, 1 s) is emitted
    await runUntil(a, T + 100);
    await deliver(a, 'k', [10, 20]); // too late for their window: the pipeline rejects them
    await runUntil(a, T + 200);
    const letters = async (store: Store): Promise<[string, unknown][]> => {
      const all: [string, unknown][] = [];
      for await (const entry of store.dead.iterator()) all.push(entry);
      return all;
    };
    const before = await letters(a.store);
    expect(before).toHaveLength(2);
    await a.crash();

    const b = await boot(config('100ms'));
    expect(b.report).toMatchObject({ replayedRecords: 13 });
    // The replayed batch rejects the same two again; they were committed with it the first time.
    expect(await letters(b.store)).toEqual(before);
    await b.stop();
  });

  test('after a crash and an incompatible pipeline change, keeps the committed results still in the outbox', async () => {
    now = T;
    const a = await boot(config('100ms', '1s'));
    await deliver(a, 'k', range(0, 1000));
    await runUntil(a, T + 100);
    await deliver(a, 'k', range(1000, 2000));
    await runUntil(a, T + 200);
    await deliver(a, 'k', range(2000, 3000));
    await runUntil(a, T + 300);
    const before = await outbox(a.store);
    expect(results(before).map((r) => [r.windowStart - E0, r.values.n])).toEqual([
      [0, 10],
      [1000, 10],
    ]);
    await a.crash();

    // Restarted with 2 s windows: the replay runs the cut batches through the new pipeline, which emits
    // [0, 2 s) in the batch that emitted [1 s, 2 s) before. The committed, undelivered results stay as they were.
    const b = await boot(config('100ms', '2s'));
    expect(b.report.incompatibleOperators).toEqual(['pipeline/counts']);
    expect(await outbox(b.store)).toEqual(before);
    await b.stop();
  });

  test('a changed batch interval starts the state fresh and keeps the unprocessed input', async () => {
    now = T;
    const a = await boot(config('100ms'));
    await deliver(a, 'k', range(0, 1500));
    await runUntil(a, T + 100);
    await deliver(a, 'k', [1500, 1600]);
    await a.stop();

    const b = await boot(config('200ms'));
    expect(b.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'batch interval changed: pipeline state starts fresh; unprocessed input is kept',
        obj: { was: 100, now: 200 },
      }),
    );
    expect(b.report).toMatchObject({
      checkpointBatchMs: null,
      replayedBatches: 0,
      uncommittedRecords: 2,
      incompatibleOperators: ['pipeline/counts'],
    });
    await deliver(b, 'flush', [9000]);
    await runUntil(b, T + 400);
    const got = results(await outbox(b.store)).filter((r) => r.key === 'k');
    // Window [1 s, 2 s) lost its five checkpointed readings with the state; the two unprocessed ones count.
    expect(got.map((r) => [r.windowStart - E0, r.values])).toEqual([
      [0, { n: 10, v_sum: 4500 }],
      [1000, { n: 2, v_sum: 3100 }],
    ]);
    await b.stop();
  });

  test('waits quietly when the wall clock is far behind the last batch (a gateway without RTC)', async () => {
    now = T;
    const a = await boot(config('100ms'));
    await deliver(a, 'k', [0]);
    await runUntil(a, T + 100);
    await a.stop();
    let overflows = 0;
    const onWarning = (w: Error): void => {
      if (w.name === 'TimeoutOverflowWarning') overflows++;
    };
    process.on('warning', onWarning);
    try {
      now = T - 30 * 86_400_000; // the clock restarted 30 days behind
      const b = await boot(config('100ms'));
      expect(b.report.checkpointBatchMs).toBe(T + 100);
      // Warnings are emitted on the next tick of the setTimeout that overflowed.
      await new Promise((resolve) => setImmediate(resolve));
      expect(overflows).toBe(0);
      expect(b.driver.stats).toEqual([]); // no batch before the clock is past the last one
      await b.stop();
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('keeps the outbox in emission order, every entry under its own key, across restarts of every kind', async () => {
    now = T;
    let d = await boot(config('100ms'));
    let second = 0;
    /** Delivers the next second's readings and runs the next batch, which closes the window before them. */
    const step = async (): Promise<void> => {
      await deliver(d, 'k', range(second * 1000, (second + 1) * 1000));
      second++;
      await runNext(d);
    };
    await step(); // [0, 1 s) open
    await step(); // [0, 1 s) out
    await d.stop(); // clean
    d = await boot(config('100ms'));
    await step(); // [1 s, 2 s) out
    await step(); // [2 s, 3 s) out
    await d.crash(); // abrupt: the last two batches are replayed into the same keys
    d = await boot(config('100ms'));
    await step(); // [3 s, 4 s) out
    // Unprocessed at the stop: a whole window [5 s, 6 s) and a reading that closes it.
    await deliver(d, 'k', [...range(5000, 6000), 6000]);
    await d.stop();
    // A longer batch interval, restarted at once: fresh state ([4 s, 5 s) is lost with it), but the new batches,
    // and so their outbox keys, must come after every old one, not overwrite or sort before them.
    d = await boot(config('200ms'));
    await runNext(d);
    await d.stop();
    // Another window length: that pipeline starts fresh; the reading at 6 s is lost with its state.
    d = await boot(config('200ms', '2s'));
    expect(d.report.incompatibleOperators).toEqual(['pipeline/counts']);
    await deliver(d, 'k', range(7000, 8000));
    await runNext(d);
    await deliver(d, 'k', [60_000]);
    await runNext(d);

    const entries = await outbox(d.store);
    const keys = entries.map(([key]) => key);
    expect(keys).toEqual([...keys].sort());
    expect(results(entries).map((r) => [r.windowStart - E0, r.values.n])).toEqual([
      [0, 10],
      [1000, 10],
      [2000, 10],
      [3000, 10],
      [5000, 10],
      [6000, 10], // the 2 s window
    ]);
    expect(new Set(entries.map(([, e]) => e.id)).size).toBe(entries.length);
    await d.stop();
  });

  test('reads a WAL written one record per key (before group commits) and deletes it once checkpointed', async () => {
    now = T;
    const cfg = config('100ms');
    const old = await Store.open(cfg.state.dir, cfg.state.durability);
    await old.write(
      [100, 200, 300].map((ms, i) => ({
        type: 'put' as const,
        sublevel: jsonWal(old),
        key: seqKey(i + 1),
        value: {
          receiver: 'sensors',
          topic: 's/k',
          arrivalMs: T,
          eventMs: E0 + ms,
          key: 'k',
          fields: { ts: E0 + ms, v: ms },
        },
      })),
    );
    // Then a JSON group (format 2) of two records, numbered on.
    await old.write([
      {
        type: 'put',
        sublevel: jsonWal(old),
        key: seqKey(4),
        value: asJsonGroup([350, 375].map((ms) => reading('k', ms))),
      },
    ]);
    await old.close();
    const d = await boot(cfg);
    expect(d.report.uncommittedRecords).toBe(5);
    await deliver(d, 'k', [400]); // numbered after the old records, in a binary group of its own
    await deliver(d, 'flush', [9000]);
    await runNext(d);
    await d.stop();
    const store = await Store.open(cfg.state.dir, cfg.state.durability);
    try {
      const got = results(await outbox(store)).filter((r) => r.key === 'k');
      expect(got.map((r) => r.values)).toEqual([{ n: 6, v_sum: 1725 }]);
      expect(await store.wal.keys().all()).toEqual([]); // the shutdown checkpoint covers them all
    } finally {
      await store.close();
    }
  });

  test('after a crash replays cut batches whose WAL an older version wrote as JSON groups', async () => {
    now = T;
    const a = await boot(config('100ms'));
    await deliver(a, 'k', range(0, 1000));
    await runUntil(a, T + 100);
    await deliver(a, 'k', range(1000, 2000));
    await runUntil(a, T + 200);
    await deliver(a, 'k', [2000, 2100]); // in the WAL, in no batch
    const before = await outbox(a.store);
    await a.crash();

    // What the older version would have left: every entry a JSON group with the same records.
    const store = await Store.open(path.join(dir, 'state'), 'process');
    const entries = await store.wal.iterator().all();
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every(([, value]) => value[0] !== 0x7b)).toBe(true); // written binary
    await store.write(
      entries.map(([key, value]) => ({
        type: 'put' as const,
        sublevel: jsonWal(store),
        key,
        value: asJsonGroup(decodeWalEntry(key, 0, value).records),
      })),
    );
    await store.close();

    const b = await boot(config('100ms'));
    expect(b.report).toMatchObject({ replayedRecords: 20, uncommittedRecords: 2 });
    expect(await outbox(b.store)).toEqual(before);
    await deliver(b, 'flush', [9000]);
    await runUntil(b, T + 300);
    const after = results(await outbox(b.store)).filter((r) => r.key === 'k');
    expect(after.map((r) => [r.windowStart - E0, r.values])).toEqual([
      [0, { n: 10, v_sum: 4500 }],
      [1000, { n: 10, v_sum: 14500 }],
      [2000, { n: 2, v_sum: 4100 }],
    ]);
    await b.stop();
  });
});

/** The wal sublevel as an older version wrote it: JSON values. */
function jsonWal(store: Store) {
  return store.db.sublevel<string, unknown>('wal', { valueEncoding: 'json' });
}

/** A record as the builder makes it from deliver()'s messages. */
function reading(k: string, ms: number): IngestRecord {
  return {
    receiver: 'sensors',
    topic: `s/${k}`,
    arrivalMs: T,
    eventMs: E0 + ms,
    key: k,
    fields: { ts: E0 + ms, v: ms },
  };
}

/** A group commit as the older version encoded it (format 2). */
function asJsonGroup(records: readonly IngestRecord[]): object {
  const receivers = [...new Set(records.map((r) => r.receiver))];
  return {
    v: 2,
    receivers,
    records: records.map((r) => [
      receivers.indexOf(r.receiver),
      r.topic,
      r.arrivalMs,
      r.eventMs,
      r.key,
      r.fields,
    ]),
  };
}
