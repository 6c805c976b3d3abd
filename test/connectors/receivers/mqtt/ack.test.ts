// Acknowledgement after the write-ahead log, against a real Mosquitto: a message whose deliver() has not resolved
// is not acknowledged (the broker redelivers it to the next connection with the same client id), one whose
// deliver() resolved is (it is not redelivered), and a refused delivery drops the connection unacknowledged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver, MqttReceiverError } from '../../../../connectors/receivers/mqtt/index.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { receiverConfig, sourceFields, TestHost } from './test-host.js';

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker.close();
});

describe.each([4, 5] as const)('MQTT protocol level %i', (protocolVersion) => {
  it.each([1, 2] as const)(
    'acknowledges a QoS %i message only after deliver() resolved: closed while pending, it is redelivered',
    async (qos) => {
      const id = `ack-v${protocolVersion}-q${qos}`;
      const topic = `ack/v${protocolVersion}/q${qos}`;
      const config = receiverConfig({ url: broker.url, topics: [topic], qos, protocolVersion });

      // 1. deliver() holds the message: close the receiver while it waits.
      const blocked = new TestHost('block');
      const first = createReceiver(id, config, blocked, 'gw');
      await first.connect();
      await broker.publish(topic, 'm1', { qos, protocolVersion });
      await blocked.waitFor('the delivery of m1 to be pending', () => blocked.pending === 1);
      await first.close();
      blocked.release(); // resolves after close(): nothing may be acknowledged or delivered any more
      expect(blocked.calls).toBe(1);

      // 2. The same client id again: the broker still has m1 unacknowledged and sends it again.
      const host = new TestHost();
      const second = createReceiver(id, config, host, 'gw');
      await second.connect();
      await host.waitForMessages(1);
      expect(host.payloads()).toEqual(['m1']);
      await second.close();
      // Marked for the intake's redelivery filter: the same packet id, and the broker's DUP flag.
      const firstTime = sourceFields(blocked.messages[0]);
      expect(firstTime.sourceId).toMatch(/^\d+$/);
      expect(firstTime.redelivered).toBeUndefined();
      expect(sourceFields(host.messages[0])).toEqual({ sourceId: firstTime.sourceId, redelivered: true });

      // 3. second acknowledged m1 after deliver() resolved: a third connection gets only what is new.
      const later = new TestHost();
      const third = createReceiver(id, config, later, 'gw');
      await third.connect();
      await broker.publish(topic, 'm2', { qos, protocolVersion });
      await later.waitForMessages(1);
      await third.close();
      expect(later.payloads()).toEqual(['m2']);
      expect(blocked.calls).toBe(1);
      expect([...blocked.disconnects, ...host.disconnects, ...later.disconnects]).toEqual([]);
    },
  );

  it('does not acknowledge a message deliver() refused: reports disconnected, and the broker redelivers it', async () => {
    const topic = `refuse/v${protocolVersion}`;
    const host = new TestHost('reject');
    const receiver = createReceiver(
      `refuse-v${protocolVersion}`,
      receiverConfig({ url: broker.url, topics: [topic], qos: 1, protocolVersion }),
      host,
      'gw',
    );
    await receiver.connect();
    await broker.publish(topic, 'm1', { qos: 1, protocolVersion });
    await host.waitFor('disconnected()', () => host.disconnects.length === 1);
    const [reported] = host.disconnects;
    expect(reported).toBeInstanceOf(MqttReceiverError);
    expect(reported).toMatchObject({ kind: 'deliver', topic });
    expect((reported as Error).cause).toMatchObject({ message: 'disk full (test)' });
    expect(host.logs.some((entry) => entry.level === 'error' && 'err' in entry.obj)).toBe(true);

    // The supervisor connects the same receiver again once the intake takes messages.
    host.mode = 'accept';
    await receiver.connect();
    await host.waitForMessages(1);
    await receiver.close();
    expect(host.payloads()).toEqual(['m1']);
    expect(host.calls).toBe(2);
    expect(host.disconnects).toHaveLength(1);
  });

  it('receives what was published while it was away (persistent session), in order', async () => {
    const id = `away-v${protocolVersion}`;
    const topic = `away/v${protocolVersion}`;
    const config = receiverConfig({ url: broker.url, topics: [`${topic}/#`], qos: 2, protocolVersion });
    const before = createReceiver(id, config, new TestHost(), 'gw');
    await before.connect();
    await before.close();

    await broker.publishLines(`${topic}/q1`, ['a1', 'a2', 'a3'], { qos: 1, protocolVersion });
    await broker.publishLines(`${topic}/q2`, ['b1', 'b2', 'b3'], { qos: 2, protocolVersion });

    const host = new TestHost();
    const after = createReceiver(id, config, host, 'gw');
    await after.connect();
    await host.waitForMessages(6);
    await after.close();
    expect(host.payloads()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
  });
});
