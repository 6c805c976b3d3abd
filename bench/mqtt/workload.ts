// The MQTT benchmark's workload: QoS 1 JSON readings from 100 sensors, one per 10 ms of event time, each
// pre-encoded once as an MQTT 3.1.1 PUBLISH packet (mqtt-packet, as mqtt.js writes them).
import mqttPacket from 'mqtt-packet';

export const SENSORS = 100;
export const T0 = 1_700_000_000_000;

export function topicOf(i: number): string {
  return `sensors/s${i % SENSORS}/telemetry`;
}

export function payloadOf(i: number): string {
  return JSON.stringify({
    ts: T0 + Math.floor(i / SENSORS) * 10,
    temp: 20 + (i % 17) * 0.5,
    hum: 40 + (i % 23),
  });
}

/** PUBLISH packets 0..n-1; packet ids cycle through 1..65535 (unique among any window below that). */
export function encodePublishes(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    mqttPacket.generate({
      cmd: 'publish',
      qos: 1,
      dup: false,
      retain: false,
      messageId: (i % 65535) + 1,
      topic: topicOf(i),
      payload: Buffer.from(payloadOf(i)),
    }),
  );
}
