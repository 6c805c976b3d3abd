// A whole gateway republishing window results to a real Mosquitto, with a file sink on the same pipeline as the
// oracle, across a broker restart. A record leaves the MQTT sink's outbox only once the broker acknowledged it, so
// every window reaches a persistent subscriber: after de-duplication by id (a publish the broker took just before
// it stopped may come again, with the same id and value) each one once, in order per key, none lost.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../../../daemon/app.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import {
  climateGatewayConfig,
  idsByKey,
  silentLogger,
  waitingInOutboxes,
} from '../../../support/sink-gateway.js';
import { waitFor } from '../../../support/wait.js';
import { subscribe, type Subscriber } from './subscriber.js';

let broker: Mosquitto;
let dir: string;
let gateway: Gateway | undefined;
let subscriber: Subscriber | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-gateway-mqtt-'));
});

afterAll(async () => {
  await gateway?.stop();
  await subscriber?.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface Window {
  id: string;
  key: string;
}

async function fileRecords(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

test('every window reaches a subscriber across a broker restart, in order per key, with identical values', async () => {
  const out = path.join(dir, 'archive.jsonl');
  subscriber = await subscribe(broker.url, 'plant', { clean: false });
  const config = climateGatewayConfig(path.join(dir, 'state'), {
    dash: {
      type: 'mqtt',
      url: broker.url,
      topic: 'plant/{pipeline}/{key}',
      connectTimeout: '1s',
      sendTimeout: '2s',
    },
    archive: { type: 'file', path: out },
  });
  gateway = createGateway(config, { log: silentLogger, backoff: { initialMs: 50, maxMs: 300 } });
  await gateway.start();
  const g = gateway;
  await waitFor('windows published', () => ((g.status().sinks.dash?.sent ?? 0) >= 20 ? true : undefined));

  await broker.stop();
  const archivedAtStop = (await fileRecords(out)).length;
  await waitFor('windows to wait in the outbox', async () =>
    (await fileRecords(out)).length >= archivedAtStop + 20 && (g.status().sinks.dash?.outbox.entries ?? 0) > 0
      ? true
      : undefined,
  );
  expect(g.status().sinks.dash?.state).not.toBe('connected');
  await broker.start();
  const archivedAtStart = (await fileRecords(out)).length;
  await waitFor(
    'the backlog to drain after the broker came back',
    () => ((g.status().sinks.dash?.sent ?? 0) >= archivedAtStart ? true : undefined),
    { timeoutMs: 30_000 },
  );
  await g.stop();
  gateway = undefined;

  // The oracle: every record the pipeline committed, in the file or still waiting for it.
  const waiting = await waitingInOutboxes(path.join(dir, 'state'), ['dash', 'archive']);
  const dashWaiting = new Set(waiting.dash.map((e) => e.id));
  const archive = [...(await fileRecords(out)), ...waiting.archive.map((e) => e.value)];

  const received = await subscriber.upToNow();
  const first = new Map<string, string>();
  const got: Window[] = [];
  for (const m of received) {
    const record = JSON.parse(m.payload) as Window & { pipeline: string };
    expect(m.topic).toBe(`plant/${record.pipeline}/${record.key}`);
    const seen = first.get(record.id);
    if (seen !== undefined) {
      expect(m.payload).toBe(seen);
      continue;
    }
    first.set(record.id, m.payload);
    got.push(record);
  }
  const archived = archive.map((line) => JSON.parse(line) as Window);
  // None lost: what the subscriber got plus what still waits is everything committed, with the same values.
  expect([...got.map((r) => r.id), ...dashWaiting].sort()).toEqual(archived.map((r) => r.id).sort());
  for (const line of archive) {
    const id = (JSON.parse(line) as Window).id;
    if (!dashWaiting.has(id)) expect(first.get(id)).toBe(line);
  }
  // In order per key.
  const byKey = idsByKey(archived);
  for (const [key, ids] of idsByKey(got)) expect(ids).toEqual(byKey.get(key)?.slice(0, ids.length));
});
