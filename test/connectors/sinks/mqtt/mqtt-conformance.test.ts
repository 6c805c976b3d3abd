// The MQTT sink runs the sink conformance suite against a real Mosquitto, each test under its own topic prefix,
// read back by a QoS 1 subscriber (the id from the record's id field).
import { afterAll, beforeAll } from 'vitest';
import { mqttSinkConfigSchema } from '../../../../connectors/sinks/mqtt/config.js';
import { createSink } from '../../../../connectors/sinks/mqtt/index.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { silentLogger } from '../../../support/sink-gateway.js';
import { sinkSuite } from '../../../support/sink-suite.js';
import { subscribe, type Subscriber } from './subscriber.js';

let broker: Mosquitto;
let next = 0;
const subscribers: Subscriber[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  for (const s of subscribers) await s.close();
  await broker.close();
});

sinkSuite('the MQTT sink', () => {
  const prefix = `suite-${next++}`;
  let subscriber: Promise<Subscriber> | undefined;
  return {
    create: async () => {
      // Subscribed before the first send: a broker keeps nothing for a subscriber that is not there yet.
      subscriber ??= subscribe(broker.url, prefix).then((s) => {
        subscribers.push(s);
        return s;
      });
      await subscriber;
      return createSink(
        'suite',
        mqttSinkConfigSchema.parse({
          type: 'mqtt',
          url: broker.url,
          topic: `${prefix}/{key}`,
          sendTimeout: '5s',
        }),
        { log: silentLogger, durability: 'process', disconnected: () => undefined },
      );
    },
    delivered: async () => {
      const s = await (subscriber as Promise<Subscriber>);
      return (await s.upToNow()).map((m) => {
        const value = JSON.parse(m.payload) as { id: string; key: string };
        return { id: value.id, key: m.topic.slice(prefix.length + 1), value };
      });
    },
  };
});
