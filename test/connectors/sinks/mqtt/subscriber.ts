// An MQTT subscriber for the MQTT sink's tests: collects what the broker forwards under a topic prefix, and reads
// it back up to a marker it publishes itself, so "everything the sink had acknowledged" needs no sleep (the broker
// queues a publisher's acknowledged messages to a subscriber before a later publish from anyone).
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { waitFor } from '../../../support/wait.js';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface Subscriber {
  readonly messages: Received[];
  /** Every message received before a marker published now (under the prefix) came back. */
  upToNow(): Promise<Received[]>;
  close(): Promise<void>;
}

/** Subscribes to `<prefix>/#` with QoS 1; `clean: false` keeps its session (and queued messages) across a broker restart. */
export async function subscribe(
  url: string,
  prefix: string,
  options: { clean?: boolean } = {},
): Promise<Subscriber> {
  const client: MqttClient = await mqtt.connectAsync(url, {
    clientId: `test-sub-${randomUUID().slice(0, 8)}`,
    clean: options.clean ?? true,
    reconnectPeriod: 200,
  });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  await client.subscribeAsync(`${prefix}/#`, { qos: 1 });
  return {
    messages,
    async upToNow() {
      const marker = `${prefix}/__marker/${randomUUID()}`;
      await client.publishAsync(marker, 'marker', { qos: 1 });
      const at = await waitFor('the marker to come back', () => {
        const i = messages.findIndex((m) => m.topic === marker);
        return i < 0 ? undefined : i;
      });
      return messages.slice(0, at).filter((m) => !m.topic.startsWith(`${prefix}/__marker/`));
    },
    async close() {
      await client.endAsync();
    },
  };
}
