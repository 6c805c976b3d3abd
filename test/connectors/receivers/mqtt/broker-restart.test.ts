// The broker goes away and comes back (Mosquitto restarted with persistence): the receiver reports the loss
// once, connect() fails while the broker is down and succeeds once it is back, and no QoS 1 message published
// before, during or after the restart is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver, MqttReceiverError } from '../../../../connectors/receivers/mqtt/index.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { publishWithMqttJs, receiverConfig, TestHost } from './test-host.js';

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker.close();
});

const batch = (name: string): string[] => Array.from({ length: 5 }, (_, i) => `${name}${i}`);

describe.each([4, 5] as const)('MQTT protocol level %i', (protocolVersion) => {
  it('loses no QoS 1 message published around a broker restart', async () => {
    const topic = `restart/v${protocolVersion}`;
    const host = new TestHost();
    const receiver = createReceiver(
      `restart-v${protocolVersion}`,
      receiverConfig({ url: broker.url, topics: [topic], qos: 1, protocolVersion }),
      host,
      'gw',
    );
    await receiver.connect();
    const publish = (payloads: string[]): Promise<void> =>
      publishWithMqttJs(broker.url, topic, payloads, { qos: 1, protocolVersion });

    // Delivered and acknowledged before the restart.
    await publish(batch('a'));
    await host.waitForMessages(5);

    // In flight when the broker stops: the first waits in deliver(), the rest wait at the broker, unacknowledged.
    host.mode = 'block';
    await publish(batch('b'));
    await host.waitFor('a pending delivery', () => host.pending === 1);

    await broker.stop();
    await host.waitFor('disconnected()', () => host.disconnects.length === 1);
    expect(host.disconnects[0]).toBeInstanceOf(MqttReceiverError);
    expect(host.disconnects[0]).toMatchObject({ kind: 'lost' });
    await expect(receiver.connect()).rejects.toMatchObject({ kind: 'connect' });

    await broker.start();
    host.release(); // b0's deliver() resolves after its connection is gone: it cannot be acknowledged
    await publish(batch('c')); // queued in the persisted session while the receiver is away

    await receiver.connect();
    await publish(batch('d'));

    const expected = [...batch('a'), ...batch('b'), ...batch('c'), ...batch('d')];
    await host.waitFor('every message at least once', () =>
      expected.every((p) => host.payloads().includes(p)),
    );
    await receiver.close();

    // Duplicates only of what was in flight, unacknowledged, when the broker stopped.
    const counts = new Map<string, number>();
    for (const payload of host.payloads()) counts.set(payload, (counts.get(payload) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([payload]) => payload);
    expect(duplicated.every((payload) => payload.startsWith('b'))).toBe(true);
    expect([...counts.keys()].sort()).toEqual([...expected].sort());
    // Per publisher connection, MQTT keeps order: each batch arrives in its own order.
    for (const name of ['a', 'c', 'd']) {
      expect(host.payloads().filter((p) => p.startsWith(name))).toEqual(batch(name));
    }
    expect(host.disconnects).toHaveLength(1);
  });
});
