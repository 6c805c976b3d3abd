// The Kafka sink against librdkafka's mock cluster, read back with kcat: records keep their order per key, carry
// their deterministic id in the sluice-id header and the record as JSON; a send to a broker that went away
// rejects (the entries stay in the outbox), the producer is recreated after repeated failures, and a reconnect
// delivers what was refused. Config validation names the key and the fix.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kafkaSinkConfigSchema } from '../../../../connectors/sinks/kafka/config.js';
import { createSink } from '../../../../connectors/sinks/kafka/index.js';
import type { KafkaSink } from '../../../../connectors/sinks/kafka/sink.js';
import type { Logger, OutboxEntry, SinkHost } from '../../../../connectors/types.js';
import { kcatConsume, startKafkaMock, type KafkaMock } from '../../../support/kafka-mock.js';

let mock: KafkaMock;

beforeAll(async () => {
  mock = await startKafkaMock({ topics: ['ordered:4', 'away:2', 'gz:1'] });
});

afterAll(async () => {
  await mock.stop();
});

function host(): SinkHost & { disconnects: number; logged: string[] } {
  const logged: string[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: (_o, msg) => logged.push(msg),
    warn: (_o, msg) => logged.push(msg),
    error: (_o, msg) => logged.push(msg),
  };
  const h = {
    log,
    logged,
    durability: 'process' as const,
    disconnects: 0,
    disconnected: () => {
      h.disconnects++;
    },
  };
  return h;
}

function sink(topic: string, extra: Record<string, unknown> = {}, h = host()): KafkaSink {
  const config = kafkaSinkConfigSchema.parse({
    type: 'kafka',
    brokers: mock.brokers,
    topic,
    connectTimeout: '2s',
    sendTimeout: '2s',
    ...extra,
  });
  return createSink('upstream', config, h);
}

function entry(key: string, n: number): OutboxEntry {
  return {
    id: `gw/p/${key}/${n}`,
    key,
    value: JSON.stringify({ id: `gw/p/${key}/${n}`, key, windowStart: n, values: { n } }),
  };
}

describe('the Kafka sink', () => {
  test('keeps order per key, puts the id in the sluice-id header and the record as JSON in the value', async () => {
    const s = sink('ordered');
    await s.connect();
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const sent: OutboxEntry[] = [];
    // Several sends, as the forwarder drains chunk by chunk.
    for (let chunk = 0; chunk < 5; chunk++) {
      const entries = Array.from({ length: 40 }, (_, i) => {
        const n = chunk * 40 + i;
        return entry(keys[n % keys.length] as string, n);
      });
      await s.send(entries);
      sent.push(...entries);
    }
    await s.close();

    const got = await kcatConsume(mock.brokers, 'ordered');
    expect(got).toHaveLength(sent.length);
    for (const message of got) {
      const record = JSON.parse(message.payload ?? '') as { id: string; key: string };
      expect(message.headers['sluice-id']).toBe(record.id);
      expect(message.key).toBe(record.key);
    }
    for (const key of keys) {
      const partitions = new Set(got.filter((m) => m.key === key).map((m) => m.partition));
      expect(partitions.size, `key ${key} spread over partitions`).toBe(1);
      const ids = got
        .filter((m) => m.key === key)
        .sort((x, y) => x.offset - y.offset)
        .map((m) => m.headers['sluice-id']);
      expect(ids).toEqual(sent.filter((e) => e.key === key).map((e) => e.id));
    }
  });

  test('compresses with gzip when asked, and kcat reads the records unchanged', async () => {
    const s = sink('gz', { compression: 'gzip' });
    await s.connect();
    const entries = Array.from({ length: 50 }, (_, i) => entry('k', i));
    await s.send(entries);
    await s.close();
    const got = await kcatConsume(mock.brokers, 'gz');
    expect(got.map((m) => m.payload)).toEqual(entries.map((e) => e.value));
  });

  test('rejects sends while the broker is away, recreates the producer, and delivers after a reconnect', async () => {
    const h = host();
    const s = sink('away', { recreateAfter: 2, sendTimeout: '1s', connectTimeout: '1s' }, h);
    await s.connect();
    await s.send([entry('a', 0)]);
    await mock.down();
    try {
      // The forwarder would keep these in the outbox and try again after the supervisor's backoff.
      await expect(s.send([entry('a', 1), entry('b', 2)])).rejects.toThrow();
      await expect(s.send([entry('a', 1), entry('b', 2)])).rejects.toThrow();
      expect(s.recreated).toBeGreaterThanOrEqual(1);
      await expect(s.send([entry('a', 1)])).rejects.toThrow(/not connected/);
      await expect(s.connect()).rejects.toThrow();
    } finally {
      await mock.up();
    }
    await s.connect();
    await s.send([entry('a', 1), entry('b', 2), entry('a', 3)]);
    await s.close();
    const got = await kcatConsume(mock.brokers, 'away');
    const ids = got.map((m) => m.headers['sluice-id']);
    // Every entry arrived; a refused send that reached the broker anyway is a duplicate with the same id.
    for (const e of [entry('a', 0), entry('a', 1), entry('b', 2), entry('a', 3)]) expect(ids).toContain(e.id);
    const a = got.filter((m) => m.key === 'a').sort((x, y) => x.offset - y.offset);
    const firstSeen = [...new Set(a.map((m) => m.headers['sluice-id']))];
    expect(firstSeen).toEqual(['gw/p/a/0', 'gw/p/a/1', 'gw/p/a/3']);
    expect(h.logged).toContain('recreating the Kafka producer');
  });
});

describe('the Kafka sink config', () => {
  const base = { type: 'kafka', brokers: ['kafka-1:9092'], topic: 'edge.summaries' };

  test('fills the defaults: acks all, no compression, 30s send timeout', () => {
    const config = kafkaSinkConfigSchema.parse(base);
    expect(config).toMatchObject({
      acks: 'all',
      compression: 'none',
      clientId: 'sluice',
      sendTimeout: 30_000,
      connectTimeout: 10_000,
      recreateAfter: 3,
    });
  });

  test('names the broker without a port and suggests the fix', () => {
    const result = kafkaSinkConfigSchema.safeParse({ ...base, brokers: ['kafka://kafka-1'] });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(['brokers', 0]);
    expect((issue as { params?: { hint?: string } } | undefined)?.params?.hint).toBe('e.g. kafka-1:9092');
  });

  test('refuses SASL plain without TLS', () => {
    const result = kafkaSinkConfigSchema.safeParse({
      ...base,
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    });
    expect(result.error?.issues[0]?.path).toEqual(['sasl', 'mechanism']);
  });

  test('keeps the SASL password a secret', () => {
    const config = kafkaSinkConfigSchema.parse({
      ...base,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'hunter2' },
    });
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(config.sasl?.password.reveal()).toBe('hunter2');
  });
});
