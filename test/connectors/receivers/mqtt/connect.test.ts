// One connect() is one attempt: it resolves on CONNACK + SUBACK and otherwise rejects with a clear reason
// (refused subscription, refused connection, nothing listening, timeout, closed), and never retries by itself.
// A scripted server stands in for answers Mosquitto 2.0.11 does not give (see fake-broker.ts).
import { afterEach, describe, expect, it } from 'vitest';
import {
  createReceiver,
  MqttReceiver,
  MqttReceiverError,
} from '../../../../connectors/receivers/mqtt/index.js';
import { freePort } from '../../../support/free-port.js';
import { startFakeBroker, type FakeBroker } from './fake-broker.js';
import { receiverConfig, TestHost, waitForEvent } from './test-host.js';

const fakes: FakeBroker[] = [];

async function fake(script: Parameters<typeof startFakeBroker>[0]): Promise<FakeBroker> {
  const broker = await startFakeBroker(script);
  fakes.push(broker);
  return broker;
}

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((broker) => broker.close()));
});

describe.each([
  { protocolVersion: 4, code: 0x80, name: 'Unspecified error' },
  { protocolVersion: 5, code: 0x87, name: 'Not authorized' },
] as const)('MQTT protocol level $protocolVersion', ({ protocolVersion, code, name }) => {
  it(`rejects naming the topic when the broker refuses a subscription (SUBACK ${code.toString(16)})`, async () => {
    const broker = await fake({ suback: (topic, qos) => (topic.startsWith('secret/') ? code : qos) });
    const host = new TestHost();
    const receiver = createReceiver(
      'acl',
      receiverConfig({ url: broker.url, topics: ['allowed/#', 'secret/#'], protocolVersion }),
      host,
      'gw',
    );
    const attempt = receiver.connect();
    await expect(attempt).rejects.toBeInstanceOf(MqttReceiverError);
    await expect(attempt).rejects.toMatchObject({ kind: 'subscribe', topic: 'secret/#', reasonCode: code });
    await expect(attempt).rejects.toThrow(
      `the broker refused the subscription to "secret/#" (SUBACK 0x${code.toString(16)} ${name}): check the ` +
        `broker's ACL (read access for client id "sluice-gw-acl") and the topic filter`,
    );
    // The connection is dropped, not left half-subscribed; no disconnected() for a failed attempt.
    await waitForEvent(broker.events, 'change', 'the connection to close', () => broker.open === 0);
    expect(host.disconnects).toEqual([]);
    // The next attempt is a fresh one and fails the same way (nothing wedged).
    await expect(receiver.connect()).rejects.toMatchObject({ kind: 'subscribe' });
    await receiver.close();
  });

  it('connects when the broker grants a lower QoS than asked, and warns', async () => {
    const broker = await fake({ suback: () => 0 });
    const host = new TestHost();
    const receiver = createReceiver(
      'downgrade',
      receiverConfig({ url: broker.url, topics: ['t/#'], qos: 2, protocolVersion }),
      host,
      'gw',
    );
    await receiver.connect();
    await receiver.close();
    expect(host.logs.filter((entry) => entry.level === 'warn')).toMatchObject([
      {
        msg: 'mqtt broker granted a lower QoS than requested',
        obj: { topic: 't/#', requestedQos: 2, grantedQos: 0 },
      },
    ]);
  });

  it('rejects with the reason when the broker refuses the connection', async () => {
    const refusal = protocolVersion === 5 ? 0x86 : 4; // bad user name or password
    const broker = await fake({ connack: refusal });
    const receiver = createReceiver(
      'refused',
      receiverConfig({ url: broker.url, topics: ['t'], protocolVersion }),
      new TestHost(),
      'gw',
    );
    await expect(receiver.connect()).rejects.toMatchObject({ kind: 'connect', reasonCode: refusal });
    await receiver.close();
  });
});

it('rejects when nothing listens, naming the broker', async () => {
  const url = `mqtt://127.0.0.1:${await freePort()}`;
  const receiver = createReceiver('nobody', receiverConfig({ url, topics: ['t'] }), new TestHost(), 'gw');
  const attempt = receiver.connect();
  await expect(attempt).rejects.toMatchObject({ kind: 'connect' });
  await expect(attempt).rejects.toThrow(`cannot connect to ${url}: connect ECONNREFUSED`);
});

it('rejects after the connect timeout when the broker never answers, and drops the connection', async () => {
  const broker = await fake({ connack: 'silent' });
  const receiver = new MqttReceiver(
    'silent',
    receiverConfig({ url: broker.url, topics: ['t'] }),
    new TestHost(),
    'gw',
    {
      connectTimeoutMs: 200,
    },
  );
  await expect(receiver.connect()).rejects.toMatchObject({ kind: 'timeout' });
  await waitForEvent(broker.events, 'change', 'the connection to close', () => broker.open === 0);
});

it('rejects a pending connect() when closed, and any connect() after close()', async () => {
  const broker = await fake({ connack: 'silent' });
  const receiver = createReceiver(
    'closing',
    receiverConfig({ url: broker.url, topics: ['t'] }),
    new TestHost(),
    'gw',
  );
  const attempt = receiver.connect();
  await waitForEvent(broker.events, 'change', 'the connection', () => broker.open === 1);
  await receiver.close();
  await expect(attempt).rejects.toMatchObject({ kind: 'closed' });
  await expect(receiver.connect()).rejects.toMatchObject({ kind: 'closed' });
});

it('reports an MQTT 5 DISCONNECT from the broker once, with its reason code', async () => {
  const broker = await fake({});
  const host = new TestHost();
  const receiver = createReceiver(
    'kicked',
    receiverConfig({ url: broker.url, topics: ['t'], protocolVersion: 5 }),
    host,
    'gw',
  );
  await receiver.connect();
  broker.disconnectAll(0x8b);
  await host.waitFor('disconnected()', () => host.disconnects.length === 1);
  expect(host.disconnects[0]).toMatchObject({ kind: 'lost', reasonCode: 0x8b });
  expect(host.disconnects[0]?.message).toContain('0x8b Server shutting down');
  await receiver.close();
  expect(host.disconnects).toHaveLength(1);
});
