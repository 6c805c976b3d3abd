// The MQTT receiver's session against a real Mosquitto: a stable client id derived from gateway and receiver,
// clean: false, and sessionPresent handled (subscribe again only when the broker lost the session).
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver, mqttClientId } from '../../../../connectors/receivers/mqtt/index.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { escapeRegExp, receiverConfig, subscriptionsLogged, TestHost } from './test-host.js';

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker.close();
});

it('derives the client id from gateway and receiver id unless the config names one', () => {
  expect(mqttClientId('greenhouse-7', 'climate', {})).toBe('sluice-greenhouse-7-climate');
  expect(mqttClientId('greenhouse-7', 'climate', { clientId: 'barn-logger' })).toBe('barn-logger');
});

describe.each([4, 5] as const)('MQTT protocol level %i', (protocolVersion) => {
  const level = protocolVersion === 5 ? 'p5' : 'p2';

  /** Connects another client with the receiver's client id: the broker drops the receiver's connection. */
  async function takeOver(clientId: string, keepSession: boolean): Promise<void> {
    const intruder = await connectAsync(broker.url, {
      clientId,
      protocolVersion,
      clean: !keepSession,
      reconnectPeriod: 0,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: keepSession ? 3600 : 0 } } : {}),
    });
    await intruder.endAsync();
  }

  it('connects as sluice-<gateway>-<receiver> with a persistent session, the same id every time', async () => {
    const receiverId = `climate-v${protocolVersion}`;
    const config = receiverConfig({ url: broker.url, topics: [`id/v${protocolVersion}`], protocolVersion });
    for (let start = 0; start < 2; start++) {
      const receiver = createReceiver(receiverId, config, new TestHost(), 'greenhouse-7');
      expect(receiver.clientId).toBe(`sluice-greenhouse-7-${receiverId}`);
      await receiver.connect();
      await receiver.close();
    }
    const named = createReceiver(
      receiverId,
      { ...config, clientId: `barn-logger-v${protocolVersion}` },
      new TestHost(),
      'greenhouse-7',
    );
    await named.connect();
    await named.close();

    const log = await broker.log();
    // Mosquitto logs "... as <client id> (p<protocol>, c<clean session>, k<keepalive>)": c0 is clean: false.
    const connections = (clientId: string): number =>
      [...log.matchAll(new RegExp(`as ${escapeRegExp(clientId)} \\(${level}, c0, k30\\)`, 'g'))].length;
    expect(connections(`sluice-greenhouse-7-${receiverId}`)).toBe(2);
    expect(connections(`barn-logger-v${protocolVersion}`)).toBe(1);
    // Each new receiver subscribes once, even to a session the broker kept (its topics may have changed).
    expect(subscriptionsLogged(log, `sluice-greenhouse-7-${receiverId}`, `id/v${protocolVersion}`)).toBe(2);
  });

  it('resumes the session after a lost connection without subscribing again', async () => {
    const receiverId = `resume-v${protocolVersion}`;
    const clientId = `sluice-gw-${receiverId}`;
    const topic = `resume/v${protocolVersion}`;
    const host = new TestHost();
    const receiver = createReceiver(
      receiverId,
      receiverConfig({ url: broker.url, topics: [topic], protocolVersion }),
      host,
      'gw',
    );
    await receiver.connect();

    await takeOver(clientId, true);
    await host.waitFor('disconnected()', () => host.disconnects.length === 1);
    // Mosquitto 2.0.11 closes the connection without an MQTT 5 DISCONNECT (0x8e) first.
    expect(host.disconnects[0]).toMatchObject({ kind: 'lost' });

    await receiver.connect();
    await broker.publish(topic, 'after', { qos: 1 });
    await host.waitForMessages(1);
    await receiver.close();
    expect(host.payloads()).toEqual(['after']);
    expect(subscriptionsLogged(await broker.log(), clientId, topic)).toBe(1);
    expect(
      host.logs.filter((entry) => entry.msg === 'mqtt connected').map((entry) => entry.obj),
    ).toMatchObject([
      { sessionPresent: false, subscribed: true },
      { sessionPresent: true, subscribed: false },
    ]);
  });

  it('subscribes again, and says so, when the broker lost the session', async () => {
    const receiverId = `lost-v${protocolVersion}`;
    const clientId = `sluice-gw-${receiverId}`;
    const topic = `lost/v${protocolVersion}`;
    const host = new TestHost();
    const receiver = createReceiver(
      receiverId,
      receiverConfig({ url: broker.url, topics: [topic], protocolVersion }),
      host,
      'gw',
    );
    await receiver.connect();

    await takeOver(clientId, false); // a clean session replaces ours and ends with the intruder
    await host.waitFor('disconnected()', () => host.disconnects.length === 1);

    await receiver.connect();
    await broker.publish(topic, 'after', { qos: 1 });
    await host.waitForMessages(1);
    await receiver.close();
    expect(host.payloads()).toEqual(['after']);
    expect(subscriptionsLogged(await broker.log(), clientId, topic)).toBe(2);
    expect(host.logs.filter((entry) => entry.level === 'warn').map((entry) => entry.msg)).toEqual([
      'mqtt connection lost',
      'mqtt broker lost the session: subscribing again; messages queued in the old session are gone',
    ]);
  });
});
