// The embedded MQTT broker (`type: mqtt` with `embedded:`): real publishers (mqtt.js and mosquitto_pub) connect to
// the broker Sluice runs; a QoS 1 message is acknowledged only after the intake has it, a refused one is not
// acknowledged at all, other clients still get every message, credentials are enforced, and topic filters match
// as MQTT says.
import { execFile } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import {
  mqttReceiverConfigSchema,
  type MqttReceiverConfig,
} from '../../../../connectors/receivers/mqtt/config.js';
import { EmbeddedBrokerReceiver } from '../../../../connectors/receivers/mqtt/embedded-receiver.js';
import { topicMatcher } from '../../../../connectors/receivers/mqtt/topic-filter.js';
import { requireExecutable } from '../../../support/mosquitto.js';
import { waitFor } from '../../../support/wait.js';
import { TestHost } from './test-host.js';

const run = promisify(execFile);

let receiver: EmbeddedBrokerReceiver | undefined;
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
  await receiver?.close();
  receiver = undefined;
});

function config(extra: Record<string, unknown> = {}): MqttReceiverConfig {
  return mqttReceiverConfigSchema.parse({
    type: 'mqtt',
    embedded: { port: 0 },
    topics: ['sensors/+/telemetry'],
    ...extra,
  });
}

async function start(cfg = config(), host = new TestHost()): Promise<{ host: TestHost; url: string }> {
  const r = new EmbeddedBrokerReceiver('edge', cfg, host);
  receiver = r;
  await r.connect();
  return { host, url: `mqtt://127.0.0.1:${String(r.port)}` };
}

async function client(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

it('takes QoS 1 messages from an mqtt.js publisher and acknowledges each only once the intake has it', async () => {
  const { host, url } = await start(undefined, new TestHost('block'));
  const publisher = await client(url, { clientId: 'sensor-7' });
  let acked = false;
  const publishing = publisher.publishAsync('sensors/s7/telemetry', '{"temp":21.5}', { qos: 1 }).then(() => {
    acked = true;
  });
  await host.waitFor('the delivery', () => host.pending === 1);
  // Held by the intake (not yet in the write-ahead log): the publisher has no PUBACK.
  await new Promise((r) => setTimeout(r, 100));
  expect(acked).toBe(false);
  host.release();
  await publishing;
  expect(host.payloads()).toEqual(['{"temp":21.5}']);
  const [message] = host.messages;
  expect(message?.topic).toBe('sensors/s7/telemetry');
  expect(message?.sourceId).toMatch(/^sensor-7:\d+$/);
  expect(message?.redelivered).toBe(false);
});

it('takes messages from mosquitto_pub (QoS 1) and passes topics it does not subscribe to on untouched', async () => {
  const mosquittoPub = requireExecutable('mosquitto_pub');
  const { host, url } = await start();
  const port = new URL(url).port;
  const watcher = await client(url);
  const seen: string[] = [];
  watcher.on('message', (topic) => seen.push(topic));
  await watcher.subscribeAsync('#', { qos: 1 });
  await run(mosquittoPub, [
    '-h',
    '127.0.0.1',
    '-p',
    port,
    '-q',
    '1',
    '-t',
    'sensors/a/telemetry',
    '-m',
    '{"v":1}',
  ]);
  await run(mosquittoPub, ['-h', '127.0.0.1', '-p', port, '-q', '1', '-t', 'other/a', '-m', '{"v":2}']);
  await host.waitForMessages(1);
  await waitFor('the watcher to see both', () => (seen.length === 2 ? true : undefined));
  expect(host.payloads()).toEqual(['{"v":1}']);
  expect(seen.sort()).toEqual(['other/a', 'sensors/a/telemetry']);
});

it('leaves a message the intake refuses unacknowledged and closes the publisher, which sends it again', async () => {
  const host = new TestHost('reject');
  const { url } = await start(undefined, host);
  const publisher = await client(url, { clientId: 'sensor-9', clean: false, reconnectPeriod: 50 });
  const publishing = publisher.publishAsync('sensors/s9/telemetry', '{"v":9}', { qos: 1 });
  await host.waitFor('a refused delivery', () => host.calls >= 1);
  await waitFor('the publisher closed', () =>
    publisher.reconnecting || !publisher.connected ? true : undefined,
  );
  host.mode = 'accept';
  await publishing; // acknowledged after the retransmission, now that the intake takes it
  expect(host.payloads()).toEqual(['{"v":9}']);
});

/** A bare MQTT 3.1.1 client on a socket: sends packets as given (no DUP unless told) and collects replies. */
async function rawClient(
  port: number,
  clientId: string,
): Promise<{ send(p: Packet): void; next(): Promise<Packet>; close(): void }> {
  const socket: Socket = netConnect({ host: '127.0.0.1', port });
  const parser = mqttPacket.parser();
  const got: Packet[] = [];
  const waiters: ((p: Packet) => void)[] = [];
  parser.on('packet', (p: Packet) => {
    const waiter = waiters.shift();
    if (waiter === undefined) got.push(p);
    else waiter(p);
  });
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  await new Promise((r) => socket.once('connect', r));
  const client = {
    send: (p: Packet) => socket.write(mqttPacket.generate(p)),
    next: () => {
      const ready = got.shift();
      return ready !== undefined ? Promise.resolve(ready) : new Promise<Packet>((r) => waiters.push(r));
    },
    close: () => socket.destroy(),
  };
  client.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: false,
    clientId,
    keepalive: 30,
  });
  expect((await client.next()).cmd).toBe('connack');
  return client;
}

it('counts a QoS 2 message sent again before PUBREL once, even without DUP (as MQTT.js resends)', async () => {
  const { host, url } = await start();
  const port = Number(new URL(url).port);
  const publish: Packet = {
    cmd: 'publish',
    topic: 'sensors/q2/telemetry',
    payload: Buffer.from('{"v":2}'),
    qos: 2,
    messageId: 42,
    dup: false,
    retain: false,
  };
  const first = await rawClient(port, 'q2-sensor');
  first.send(publish);
  expect(await first.next()).toMatchObject({ cmd: 'pubrec', messageId: 42 });
  first.close(); // PUBREL never sent: the publisher resends the PUBLISH on its next connection
  const second = await rawClient(port, 'q2-sensor');
  second.send(publish);
  expect(await second.next()).toMatchObject({ cmd: 'pubrec', messageId: 42 });
  second.send({ cmd: 'pubrel', messageId: 42 });
  expect(await second.next()).toMatchObject({ cmd: 'pubcomp', messageId: 42 });
  second.close();
  expect(host.payloads()).toEqual(['{"v":2}']);
});

it('requires the receiver’s username and password when it has them', async () => {
  const { url } = await start(config({ username: 'sensors', password: 's3cret' }));
  await expect(client(url, { username: 'sensors', password: 'wrong' })).rejects.toThrow(
    /Bad username or password/i,
  );
  await expect(client(url)).rejects.toThrow(/Bad username or password/i);
  const ok = await client(url, { username: 'sensors', password: 's3cret' });
  expect(ok.connected).toBe(true);
});

it('fails to start with the reason when the port is taken', async () => {
  const { url } = await start();
  const port = Number(new URL(url).port);
  const second = new EmbeddedBrokerReceiver('edge2', config({ embedded: { port } }), new TestHost());
  await expect(second.connect()).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  await second.close();
});

describe('config', () => {
  it('takes url or embedded, not both and not neither', () => {
    const parse = (input: Record<string, unknown>) =>
      mqttReceiverConfigSchema.safeParse({ type: 'mqtt', topics: ['t'], ...input });
    expect(parse({}).success).toBe(false);
    expect(parse({ url: 'mqtt://127.0.0.1:1883', embedded: {} }).success).toBe(false);
    const embedded = parse({ embedded: {} });
    expect(embedded.data?.url).toBe('mqtt://127.0.0.1:1883');
    expect(embedded.data?.embedded).toEqual({ port: 1883, host: '127.0.0.1' });
  });

  it('refuses an embedded broker open to the network without credentials', () => {
    const open = mqttReceiverConfigSchema.safeParse({
      type: 'mqtt',
      topics: ['t'],
      embedded: { host: '0.0.0.0' },
    });
    expect(open.success).toBe(false);
    expect(JSON.stringify(open.error?.issues)).toMatch(/needs username and password/);
    const guarded = mqttReceiverConfigSchema.safeParse({
      type: 'mqtt',
      topics: ['t'],
      embedded: { host: '0.0.0.0' },
      username: 'u',
      password: 'p',
    });
    expect(guarded.success).toBe(true);
  });
});

describe('topic filters', () => {
  it.each([
    ['sensors/+/telemetry', 'sensors/a/telemetry', true],
    ['sensors/+/telemetry', 'sensors/a/b/telemetry', false],
    ['sensors/#', 'sensors', true],
    ['sensors/#', 'sensors/a/b', true],
    ['#', '$SYS/broker', false],
    ['+/x', '$aws/x', false],
    ['$share/g/sensors/+', 'sensors/a', true],
    ['a/b', 'a/b/c', false],
    ['a/+', 'a/', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatcher([filter])(topic)).toBe(expected);
  });
});
