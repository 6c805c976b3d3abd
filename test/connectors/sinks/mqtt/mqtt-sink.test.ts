// The MQTT sink against a real Mosquitto: topics from the record's fields, retained publishes, a record without a
// field its topic needs refused for good (after the ones before it were acknowledged), and config errors that
// name the fix.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mqttSinkConfigSchema } from '../../../../connectors/sinks/mqtt/config.js';
import { createSink, topicFor } from '../../../../connectors/sinks/mqtt/index.js';
import { PermanentSinkError, type OutboxEntry } from '../../../../connectors/types.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { silentLogger } from '../../../support/sink-gateway.js';
import { subscribe } from './subscriber.js';

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker.close();
});

function sink(topic: string, extra: Record<string, unknown> = {}) {
  return createSink('out', mqttSinkConfigSchema.parse({ type: 'mqtt', url: broker.url, topic, ...extra }), {
    log: silentLogger,
    durability: 'process',
    disconnected: () => undefined,
  });
}

function windowEntry(pipeline: string, key: string, n: number): OutboxEntry {
  const id = `gw/${pipeline}/${key}/${n}`;
  return {
    id,
    key,
    value: JSON.stringify({ id, gateway: 'gw', pipeline, key, windowStart: n, values: { n } }),
  };
}

test('makes each topic from the record: placeholders filled, "+" and "#" in values replaced', () => {
  expect(topicFor('sluice/{pipeline}/{key}', { pipeline: 'climate-1m', key: 't-17' })).toBe(
    'sluice/climate-1m/t-17',
  );
  expect(topicFor('a/{key}', { key: 'x+y#z' })).toBe('a/x_y_z');
  expect(topicFor('alerts/{alert}/{status}', { alert: 'overheat', status: 'firing' })).toBe(
    'alerts/overheat/firing',
  );
  expect(topicFor('alerts/{alert}', { key: 't-1' })).toBeUndefined();
});

test('publishes each record as its JSON on its topic; retained ones reach a later subscriber', async () => {
  const s = sink('retained/{pipeline}/{key}', { retain: true });
  await s.connect();
  const entries = [
    windowEntry('climate', 'a', 1),
    windowEntry('climate', 'b', 1),
    windowEntry('climate', 'a', 2),
  ];
  await s.send(entries);
  await s.close();
  // Subscribed only now: the broker hands over the latest retained record of each topic.
  const late = await subscribe(broker.url, 'retained');
  const got = await late.upToNow();
  await late.close();
  expect(got.map((m) => [m.topic, m.payload, m.retain]).sort()).toEqual([
    ['retained/climate/a', entries[2]?.value, true],
    ['retained/climate/b', entries[1]?.value, true],
  ]);
});

test('refuses for good a record that lacks a field of its topic, after the ones before it were acknowledged', async () => {
  const sub = await subscribe(broker.url, 'strict');
  const s = sink('strict/{key}');
  await s.connect();
  const good = windowEntry('p', 'k1', 1);
  const bad: OutboxEntry = { id: 'gw/p/x/1', key: 'x', value: JSON.stringify({ id: 'gw/p/x/1' }) };
  const err = await s.send([good, bad, windowEntry('p', 'k2', 1)]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PermanentSinkError);
  expect((err as PermanentSinkError).index).toBe(1);
  expect((err as Error).message).toMatch(/no field for the topic strict\/\{key\}/);
  expect((await sub.upToNow()).map((m) => m.payload)).toEqual([good.value]);
  await s.close();
  await sub.close();
});

test('rejects a send while the broker is away, and sends again once it is back', async () => {
  const sub = await subscribe(broker.url, 'away', { clean: false });
  const s = sink('away/{key}', { connectTimeout: '1s', sendTimeout: '2s' });
  await s.connect();
  await broker.stop();
  await expect(s.send([windowEntry('p', 'k', 1)])).rejects.toThrow();
  await broker.start();
  await s.connect();
  await s.send([windowEntry('p', 'k', 1)]);
  await s.close();
  expect((await sub.upToNow()).map((m) => m.topic)).toEqual(['away/k']);
  await sub.close();
});

test('a send resolves only once the broker acknowledged it: a frozen broker fails it, and it goes again', async () => {
  const sub = await subscribe(broker.url, 'frozen');
  const s = sink('frozen/{key}', { sendTimeout: '1s' });
  await s.connect();
  broker.pause();
  try {
    // The publish is written to the socket, but no PUBACK comes: the entry must stay in the outbox.
    await expect(s.send([windowEntry('p', 'k', 1)])).rejects.toThrow(/no acknowledgement/);
  } finally {
    broker.resume();
  }
  await s.close();
  await s.connect();
  await s.send([windowEntry('p', 'k', 1)]);
  await s.close();
  // Sent twice under the same id (at-least-once): the first copy reached the broker, unacknowledged.
  const got = await sub.upToNow();
  expect(got.length).toBeGreaterThanOrEqual(1);
  expect(new Set(got.map((m) => m.payload))).toEqual(new Set([windowEntry('p', 'k', 1).value]));
  await sub.close();
});

test('config errors name the fix', () => {
  const parse = (topic: string) =>
    mqttSinkConfigSchema.safeParse({ type: 'mqtt', url: 'mqtt://127.0.0.1:1883', topic });
  expect(parse('sluice/{sensor}').error?.issues[0]?.message).toBe('unknown placeholder {sensor}');
  expect(parse('sluice/+/x').error?.issues[0]?.message).toMatch(/cannot hold "\+"/);
  const tls = mqttSinkConfigSchema.safeParse({ type: 'mqtt', url: 'mqtt://h:1883', topic: 'a', tls: {} });
  expect(tls.error?.issues[0]?.message).toBe('tls settings apply to mqtts:// and wss:// only');
});
