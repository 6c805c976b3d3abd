// The MQTT receiver against a real Mosquitto: every QoS, both protocol versions, both kinds of publisher.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../../../../connectors/receivers/mqtt/index.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { publishWithMqttJs, receiverConfig, sourceFields, TestHost } from './test-host.js';

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker.close();
});

const BINARY = Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x0d]);

describe.each([4, 5] as const)('MQTT protocol level %i', (protocolVersion) => {
  it.each([0, 1, 2] as const)(
    'delivers QoS %i messages from mosquitto_pub and from mqtt.js byte for byte, with topic and arrival time',
    async (qos) => {
      const base = `receive/v${protocolVersion}/q${qos}`;
      const host = new TestHost();
      const receiver = createReceiver(
        `receive-v${protocolVersion}-q${qos}`,
        receiverConfig({ url: broker.url, topics: [`${base}/#`], qos, protocolVersion }),
        host,
        'gw',
      );
      await receiver.connect();
      const before = Date.now();
      await broker.publish(`${base}/cli`, BINARY, { qos, protocolVersion });
      await publishWithMqttJs(broker.url, `${base}/js`, ['{"temp":21.5}'], { qos, protocolVersion });
      await host.waitForMessages(2);
      const after = Date.now();
      await receiver.close();

      const byTopic = new Map(host.messages.map((message) => [message.topic, message]));
      expect([...byTopic.keys()].sort()).toEqual([`${base}/cli`, `${base}/js`]);
      expect(byTopic.get(`${base}/cli`)?.payload.equals(BINARY)).toBe(true);
      expect(byTopic.get(`${base}/js`)?.payload.toString()).toBe('{"temp":21.5}');
      for (const message of host.messages) {
        expect(Buffer.isBuffer(message.payload)).toBe(true);
        expect(message.arrivalMs).toBeGreaterThanOrEqual(before);
        expect(message.arrivalMs).toBeLessThanOrEqual(after);
        // QoS 1/2 carry their packet id for the intake's redelivery filter; a first delivery is no redelivery.
        const { sourceId, redelivered } = sourceFields(message);
        if (qos === 0) expect(sourceId).toBeUndefined();
        else expect(sourceId).toMatch(/^\d+$/);
        expect(redelivered).toBeUndefined();
      }
      expect(host.messages).toHaveLength(2);
      expect(host.disconnects).toEqual([]);
    },
  );
});

it('delivers an empty payload as an empty buffer', async () => {
  const host = new TestHost();
  const receiver = createReceiver(
    'receive-empty',
    receiverConfig({ url: broker.url, topics: ['receive/empty'] }),
    host,
    'gw',
  );
  await receiver.connect();
  await broker.publish('receive/empty', '', { qos: 1 });
  await host.waitForMessages(1);
  await receiver.close();
  expect(host.messages[0]?.payload).toEqual(Buffer.alloc(0));
});

it('logs connecting and connected without the password', async () => {
  const host = new TestHost();
  const config = { ...receiverConfig({ url: broker.url, topics: ['receive/log'] }) };
  const { Secret } = await import('../../../../daemon/config/secret.js');
  const receiver = createReceiver(
    'receive-log',
    { ...config, username: 'sensor', password: new Secret('hunter2-not-logged') },
    host,
    'gw',
  );
  await receiver.connect();
  await receiver.close();
  const text = JSON.stringify(host.logs);
  expect(text).toContain('mqtt connected');
  expect(text).toContain('sluice-gw-receive-log');
  expect(text).not.toContain('hunter2');
});
