// The conformance suite every sink runs (as abstract-level's suite()): order per key across sends, the
// deterministic id carried through, a resend after a lost acknowledgement giving the same ids and values, and a
// send before connect() rejecting. Each sink's test calls sinkSuite() with a factory and a reader of what
// actually arrived on the far side.
import { describe, expect, test } from 'vitest';
import type { OutboxEntry, Sink } from '../../connectors/types.js';

export interface DeliveredRecord {
  /** The deterministic id as the far side received it (a header, or the record's id field). */
  id: string;
  key: string;
  /** The record as the far side received it, parsed from JSON. */
  value: unknown;
}

export interface SinkHarness {
  /** A new sink for this test, not connected, writing to a destination of its own. */
  create(): Promise<Sink> | Sink;
  /** Everything that arrived at that destination, in arrival order per key. */
  delivered(): Promise<DeliveredRecord[]>;
}

function entry(key: string, n: number): OutboxEntry {
  const id = `gw/suite/${key}/${1_700_000_000_000 + n * 1000}`;
  return { id, key, value: JSON.stringify({ id, key, windowStart: n, values: { n, half: n / 2 } }) };
}

export function sinkSuite(name: string, harness: () => SinkHarness): void {
  describe(`${name} (sink conformance)`, () => {
    test('delivers entries in order per key across sends, with their ids and values', async () => {
      const h = harness();
      const sink = await h.create();
      await sink.connect();
      const sent: OutboxEntry[] = [];
      for (let chunk = 0; chunk < 4; chunk++) {
        const entries = Array.from({ length: 15 }, (_, i) => entry(`k${i % 4}`, chunk * 15 + i));
        await sink.send(entries);
        sent.push(...entries);
      }
      await sink.close();
      const got = await h.delivered();
      expect(got).toHaveLength(sent.length);
      for (const key of ['k0', 'k1', 'k2', 'k3']) {
        expect(got.filter((r) => r.key === key).map((r) => r.id)).toEqual(
          sent.filter((e) => e.key === key).map((e) => e.id),
        );
      }
      for (const record of got) {
        const original = sent.find((e) => e.id === record.id);
        expect(record.value).toEqual(JSON.parse(original?.value ?? 'null'));
      }
    });

    test('a resend after a lost acknowledgement carries the same ids and values', async () => {
      const h = harness();
      const sink = await h.create();
      await sink.connect();
      const entries = [entry('a', 1), entry('b', 2)];
      await sink.send(entries);
      // The forwarder crashed before deleting them: after the restart they go again.
      await sink.close();
      const again = await h.create();
      await again.connect();
      await again.send(entries);
      await again.close();
      const got = await h.delivered();
      expect(got.map((r) => r.id).sort()).toEqual([...entries, ...entries].map((e) => e.id).sort());
      const byId = new Map(got.map((r) => [r.id, r.value]));
      for (const e of entries) expect(byId.get(e.id)).toEqual(JSON.parse(e.value));
    });

    test('rejects a send before connect()', async () => {
      const sink = await harness().create();
      await expect(sink.send([entry('a', 1)])).rejects.toThrow();
      await sink.close();
    });
  });
}
