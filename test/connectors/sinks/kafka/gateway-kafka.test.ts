// A whole gateway sending window results to librdkafka's mock cluster, read back with kcat, with a file sink on
// the same pipeline as the oracle. The broker goes away for a stretch of windows and comes back: every window
// reaches Kafka, in order per key, none lost. The contract is at-least-once under a deterministic id: a broker
// that drops just after taking a send makes the forwarder send that chunk again, so an id may appear twice in
// the topic, always with the identical value; after de-duplication by id (as any consumer does) each window is
// there once and in order per key. A second Kafka sink with a tiny drop-oldest outbox loses
// exactly what its dropped.full counter says, and status shows both outboxes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../../../daemon/app.js';
import {
  kcatConsume,
  startKafkaMock,
  type KafkaMock,
  type KcatMessage,
} from '../../../support/kafka-mock.js';
import {
  climateGatewayConfig,
  idsByKey,
  silentLogger,
  waitingInOutboxes,
} from '../../../support/sink-gateway.js';
import { waitFor } from '../../../support/wait.js';

let mock: KafkaMock;
let dir: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  mock = await startKafkaMock({ topics: ['edge:3', 'tiny:1'] });
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-gateway-kafka-'));
});

afterAll(async () => {
  await gateway?.stop();
  await mock.stop();
  await rm(dir, { recursive: true, force: true });
});

async function fileIds(file: string): Promise<{ id: string; key: string }[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { id: string; key: string });
}

/**
 * The topic's records in partition/offset order, de-duplicated by id as a consumer does (first occurrence kept).
 * A repeated id must carry the identical value: a resend, never a recomputation that differs.
 */
function kafkaRecords(messages: readonly KcatMessage[]): { id: string; key: string }[] {
  const first = new Map<string, string>();
  const out: { id: string; key: string }[] = [];
  for (const m of [...messages].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    const record = JSON.parse(m.payload ?? '') as { id: string; key: string };
    expect(m.headers['sluice-id']).toBe(record.id);
    expect(m.key).toBe(record.key);
    const seen = first.get(record.id);
    if (seen !== undefined) {
      expect(m.payload).toBe(seen);
      continue;
    }
    first.set(record.id, m.payload ?? '');
    out.push(record);
  }
  return out;
}

test('delivers every window (once after de-duplication by id) in order per key across a broker outage; a tiny outbox drops what it counts', async () => {
  const out = path.join(dir, 'archive.jsonl');
  const kafka = { type: 'kafka', brokers: mock.brokers, connectTimeout: '1s', sendTimeout: '1s' };
  const config = climateGatewayConfig(path.join(dir, 'state'), {
    up: { ...kafka, topic: 'edge' },
    tiny: { ...kafka, topic: 'tiny', outbox: { maxBytes: '3KiB', onFull: 'drop-oldest' } },
    archive: { type: 'file', path: out },
  });
  gateway = createGateway(config, { log: silentLogger, backoff: { initialMs: 50, maxMs: 300 } });
  await gateway.start();
  const g = gateway;
  await waitFor('windows sent to Kafka', () => ((g.status().sinks.up?.sent ?? 0) >= 20 ? true : undefined));

  await mock.down();
  const sentBefore = g.status().sinks.up?.sent ?? 0;
  const archivedAtDown = (await fileIds(out)).length;
  // A stretch of windows while the broker is away: they wait in the outbox (and overflow the tiny one).
  await waitFor('windows to pile up in the outboxes', async () => {
    const s = g.status().sinks;
    const archived = (await fileIds(out)).length;
    return archived >= archivedAtDown + 60 && (s.tiny?.outbox.dropped.full ?? 0) > 0 ? true : undefined;
  });
  const during = g.status().sinks;
  expect(during.up?.state).not.toBe('connected');
  expect(during.up?.outbox.entries).toBeGreaterThan(0);
  expect(during.up?.sent).toBeLessThanOrEqual(sentBefore + 20);
  expect(during.tiny?.outbox.bytes).toBeLessThanOrEqual(3 * 1024);
  expect(during.tiny?.outbox.maxBytes).toBe(3 * 1024);

  await mock.up();
  const archivedAtUp = (await fileIds(out)).length;
  await waitFor(
    'the backlog to drain after the broker came back',
    async () => {
      const s = g.status().sinks;
      return (s.up?.sent ?? 0) >= archivedAtUp && (await fileIds(out)).length > archivedAtUp
        ? true
        : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const tinyDropped = g.status().sinks.tiny?.outbox.dropped ?? { full: -1, age: -1 };
  await g.stop();
  gateway = undefined;

  // What is still waiting in the outboxes after the stop is not lost: it goes at the next start.
  const waiting = await waitingInOutboxes(path.join(dir, 'state'), ['up', 'tiny', 'archive']);
  const upWaiting = waiting.up.map((e) => e.id);
  const tinyWaiting = waiting.tiny.map((e) => e.id);
  // The oracle: every record the pipeline committed, written to the file or still waiting for it.
  const archiveWaiting = waiting.archive.map(({ id, key }) => ({ id, key }));

  const archive = [...(await fileIds(out)), ...archiveWaiting];
  const up = kafkaRecords(await kcatConsume(mock.brokers, 'edge'));
  // Nothing in the topic the pipeline did not commit.
  const committed = new Set(archive.map((r) => r.id));
  expect(up.filter((r) => !committed.has(r.id))).toEqual([]);
  // None lost: the topic plus what still waits is everything the pipeline committed.
  expect([...up.map((r) => r.id), ...upWaiting].sort()).toEqual(archive.map((r) => r.id).sort());
  // In order per key: each key's ids in the topic are the archive's, in its order.
  const archived = idsByKey(archive);
  for (const [key, ids] of idsByKey(up)) expect(ids).toEqual(archived.get(key)?.slice(0, ids.length));

  const tiny = kafkaRecords(await kcatConsume(mock.brokers, 'tiny'));
  expect(tinyDropped.full).toBeGreaterThan(0);
  expect(tinyDropped.age).toBe(0);
  // What never reached the topic and no longer waits is what dropped.full counted as lost (a send that timed
  // out yet reached the broker can make it count one more).
  const reached = new Set([...tiny.map((r) => r.id), ...tinyWaiting]);
  const lost = archive.filter((r) => !reached.has(r.id));
  expect(lost.length).toBeGreaterThan(0);
  expect(lost.length).toBeLessThanOrEqual(tinyDropped.full);
  expect(tiny.length + tinyWaiting.length + tinyDropped.full).toBeGreaterThanOrEqual(archive.length);
  expect(tiny.every((r) => archive.some((a) => a.id === r.id))).toBe(true);
  // What reached Kafka through the tiny outbox is a subsequence of the archive, in order per key.
  for (const [key, ids] of idsByKey(tiny)) {
    const all = archived.get(key) ?? [];
    expect(ids.every((id, i) => i === 0 || all.indexOf(id) > all.indexOf(ids[i - 1] as string))).toBe(true);
  }
});
