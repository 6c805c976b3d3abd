// Numbered sensor readings published to an MQTT broker, for the tests that count every reading once: reading n is
// `{ ts: t0 + n * 10, v: n }` on topic `s/k<n % keys>`, so 100 readings fill a 1 s window and the v sum proves which
// readings were counted.
import mqtt from 'mqtt';

/**
 * Publishes readings first..first+count-1 at QoS 1 over one connection of its own (no reconnect); resolves when the
 * broker has them all.
 */
export async function publishReadings(
  url: string,
  { first, count, keys, t0 }: { first: number; count: number; keys: number; t0: number },
): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `pub-${first}`, reconnectPeriod: 0 });
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const n = first + i;
      return client.publishAsync(`s/k${n % keys}`, JSON.stringify({ ts: t0 + n * 10, v: n }), { qos: 1 });
    }),
  );
  await client.endAsync();
}
