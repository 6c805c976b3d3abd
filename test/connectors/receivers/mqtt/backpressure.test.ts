// Backpressure against a real Mosquitto: while deliver() waits, the receiver takes no further message (one
// delivery in flight, the rest stays with the broker or in the socket), and once deliver() resolves it drains
// everything, in order, exactly once. Two brokers: one with Mosquitto's default window of 20 unacknowledged
// QoS 1/2 messages per client, one without a window, where only the receiver not reading holds the broker back.
import { connectAsync } from 'mqtt';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../../../../connectors/receivers/mqtt/index.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { publishWithMqttJs, receiverConfig, TestHost, waitForEvent } from './test-host.js';

const MESSAGES = 1000;
/** 1 KiB each: 1 MB in all, more than the socket buffers hold on the way. */
const payloadOf = (i: number): string => `m${String(i).padStart(4, '0')}`.padEnd(1024, '.');

const brokers = new Map<string, Mosquitto>();

beforeAll(async () => {
  brokers.set('window 20', await startMosquitto({ maxInflightMessages: 20 }));
  // Also sidesteps Mosquitto 2.0.11 not sending QoS 2 messages queued behind a full window once it frees up.
  brokers.set('no window', await startMosquitto({ maxInflightMessages: 0 }));
});

afterAll(async () => {
  await Promise.all([...brokers.values()].map((broker) => broker.close()));
});

describe.each([
  { window: 'window 20', qos: 1, protocolVersion: 4 },
  { window: 'window 20', qos: 1, protocolVersion: 5 },
  { window: 'no window', qos: 0, protocolVersion: 4 },
  { window: 'no window', qos: 1, protocolVersion: 4 },
  { window: 'no window', qos: 2, protocolVersion: 4 },
  { window: 'no window', qos: 2, protocolVersion: 5 },
] as const)('$window, QoS $qos, MQTT protocol level $protocolVersion', ({ window, qos, protocolVersion }) => {
  it(`holds one delivery while deliver() waits, then drains all ${MESSAGES} in order`, async () => {
    const broker = brokers.get(window);
    if (broker === undefined) throw new Error(`no broker "${window}"`);
    const topic = `backpressure/${window.replace(' ', '-')}/v${protocolVersion}/q${qos}`;
    const host = new TestHost('block');
    const receiver = createReceiver(
      `backpressure-${window.replace(' ', '-')}-v${protocolVersion}-q${qos}`,
      receiverConfig({ url: broker.url, topics: [topic], qos, protocolVersion }),
      host,
      'gw',
    );
    await receiver.connect();

    // A second subscriber that never blocks: once it has every message, the broker has routed all of them to
    // the receiver too (sent, or queued for it behind the unacknowledged ones).
    const witness = await connectAsync(broker.url, { protocolVersion, reconnectPeriod: 0 });
    const seen = new EventEmitter();
    let witnessed = 0;
    witness.on('message', () => {
      witnessed += 1;
      seen.emit('message');
    });
    await witness.subscribeAsync(topic, { qos });

    const payloads = Array.from({ length: MESSAGES }, (_, i) => payloadOf(i));
    await publishWithMqttJs(broker.url, topic, payloads, { qos, protocolVersion });
    await waitForEvent(
      seen,
      'message',
      `the witness to see ${MESSAGES} messages`,
      () => witnessed === MESSAGES,
    );
    await host.waitFor('the first delivery', () => host.calls >= 1);

    expect(host.calls).toBe(1);
    expect(host.maxPending).toBe(1);
    expect(receiver.pendingDeliveries).toBe(1);
    expect(host.messages).toEqual([]);

    host.release();
    await host.waitForMessages(MESSAGES);
    await receiver.close();
    await witness.endAsync();

    expect(host.payloads()).toEqual(payloads);
    expect(host.maxPending).toBe(1);
    expect(host.disconnects).toEqual([]);
  });
});

it('drops the connection when deliver() waits past 1.5 × keepalive, and gets the message again', async () => {
  const broker = brokers.get('window 20');
  if (broker === undefined) throw new Error('no broker');
  const topic = 'backpressure/keepalive';
  const host = new TestHost('block');
  const config = { ...receiverConfig({ url: broker.url, topics: [topic], qos: 1 }), keepalive: 1000 };
  const receiver = createReceiver('backpressure-keepalive', config, host, 'gw');
  await receiver.connect();
  await broker.publish(topic, 'slow', { qos: 1 });
  // mqtt.js reads no PINGRESP while the pump waits, so its keepalive check ends the connection.
  await host.waitFor('disconnected()', () => host.disconnects.length === 1);
  expect(host.disconnects[0]).toMatchObject({ kind: 'lost' });
  expect(host.disconnects[0]?.message).toContain('keepalive expired while a message waited for the intake');

  host.release(); // in the WAL now, but never acknowledged: the broker sends it again
  await receiver.connect();
  await host.waitForMessages(2);
  await receiver.close();
  expect(host.payloads()).toEqual(['slow', 'slow']);
});
