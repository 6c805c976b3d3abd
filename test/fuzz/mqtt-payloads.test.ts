// Bad MQTT payloads through a real Mosquitto into a gateway (issue #7): huge, empty, invalid UTF-8, deeply nested
// JSON, numbers as strings, and fast-check's random bytes and JSON values. Each message becomes a record or a dead
// letter with a reason (none disappears, none is counted twice), the gateway keeps going, and a good reading
// sent after all of them is still counted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { loadConfig } from '../../daemon/config/load.js';
import { mqttSensors, writeCountingConfig } from '../support/gateway-configs.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';

let broker: Mosquitto;
let dir: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-fuzz-mqtt-'));
});

afterAll(async () => {
  await gateway?.stop();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const named: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['huge JSON (4 MiB string)', Buffer.from(JSON.stringify({ v: 1, pad: 'x'.repeat(4 * 1024 * 1024) }))],
  ['huge garbage (2 MiB)', Buffer.alloc(2 * 1024 * 1024, 0xfe)],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x76, 0x22, 0x3a, 0xc3, 0x28, 0xff, 0x7d])],
  ['lone surrogate escape', Buffer.from('{"v":1,"s":"\\ud800"}')],
  ['nested 100', Buffer.from(nested(100))],
  ['nested 10,000', Buffer.from(nested(10_000))],
  ['nested 100,000 arrays', Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)],
  ['number as string', Buffer.from('{"v":"12.5"}')],
  ['number as string, not a number', Buffer.from('{"v":"twelve"}')],
  ['NaN-ish', Buffer.from('{"v":NaN}')],
  ['huge number', Buffer.from('{"v":1e400}')],
  ['null value', Buffer.from('{"v":null}')],
  ['array payload', Buffer.from('[1,2,3]')],
  ['scalar payload', Buffer.from('42')],
  ['string payload', Buffer.from('"hello"')],
  ['__proto__ key', Buffer.from('{"__proto__":{"polluted":true},"v":1}')],
  ['constructor key', Buffer.from('{"constructor":{"prototype":{"x":1}},"v":1}')],
  ['BOM', Buffer.from('\ufeff{"v":1}')],
  ['NUL bytes', Buffer.from('{"v":1}\u0000\u0000')],
];

test('every bad payload becomes a record or a dead letter with a reason, and the gateway keeps going', async () => {
  const file = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(file, {
    id: 'fuzz',
    stateDir: path.join(dir, 'state'),
    // Processing time: most payloads carry no usable timestamp.
    receivers: { sensors: mqttSensors({ url: broker.url, topics: ['f/+'], qos: 1, time: undefined }) },
    out: path.join(dir, 'out.jsonl'),
    window: { length: '1s', time: 'processing' },
    aggregate: { n: 'count()', v_sum: 'sum(v)', v_max: 'max(v)' },
  });
  gateway = createGateway(await loadConfig(file), { log: pino({ level: process.env.FUZZ_LOG ?? 'silent' }) });
  await gateway.start();
  const g = gateway;
  await waitFor('mqtt connected', () =>
    g.status().receivers.sensors?.state === 'connected' ? true : undefined,
  );

  const randomPayloads = fc.sample(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
      fc
        .dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.double(), fc.string(), fc.constant(null)))
        .map((o) => Buffer.from(JSON.stringify(o))),
    ),
    { numRuns: 300, seed: 7 },
  );
  const payloads: [string, Buffer][] = [
    ...named,
    ...randomPayloads.map((p, i): [string, Buffer] => [`random ${i}`, p]),
  ];
  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'fuzz-publisher' });
  for (const [, payload] of payloads) await publisher.publishAsync('f/bad', payload, { qos: 1 });
  // A good reading after all of them.
  await publisher.publishAsync('f/good', JSON.stringify({ v: 7 }), { qos: 1 });
  await publisher.endAsync();

  const status = await waitFor(
    'every message counted as a record or a dead letter',
    () => {
      const r = g.status().receivers.sensors;
      return r !== undefined && r.records + r.deadLetters >= payloads.length + 1 ? r : undefined;
    },
    { timeoutMs: 60_000 },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(g.status().receivers.sensors)}`);
  });
  expect(status.records + status.deadLetters).toBe(payloads.length + 1);
  expect(g.status().phase).toBe('ready');
  const good = await waitFor('the good reading in a window', () =>
    g.results('counts').find((r) => r.key === 'good'),
  );
  expect(good.values).toMatchObject({ n: 1, v_sum: 7 });

  const letters = await g.deadLetters({ receiver: 'sensors', limit: 10_000 });
  expect(letters.length).toBe(status.deadLetters);
  const reasons = new Map<string, number>();
  for (const l of letters) {
    expect(l.reason).not.toBe('');
    const kind = l.reason.replace(/:.*$/s, '');
    reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    // Kept bounded: at most 1 KiB of the payload, with its full size.
    expect(l.payload.length).toBeLessThanOrEqual(2048);
  }
  console.log(
    `mqtt fuzz: ${payloads.length + 1} messages, ${status.records} records, ${status.deadLetters} dead letters by reason ${JSON.stringify([...reasons])}`,
  );
  // nested 100 and nested 10,000 (JSON.stringify overflowed the stack on the second when writing the WAL).
  expect(reasons.get('JSON nested deeper than 32 levels')).toBe(2);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}, 180_000);
