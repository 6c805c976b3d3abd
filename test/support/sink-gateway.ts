// A whole gateway feeding sinks, for the sink tests that check delivery against an oracle: simulated sensors
// aggregated into short windows sent to every sink named (one of them a file sink, the oracle), what is still
// waiting in the outboxes after the gateway stopped, and ids grouped per key to check order.
import type { Logger, OutboxEntry } from '../../connectors/types.js';
import { configSchema, type Config } from '../../daemon/config/schema.js';
import { Store } from '../../daemon/store/store.js';

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Four simulated sensors, 200 ms windows (`n`, `temp_max`) in the pipeline `climate`, sent to all `sinks`. */
export function climateGatewayConfig(
  stateDir: string,
  sinks: Record<string, Record<string, unknown>>,
): Config {
  return configSchema.parse({
    gateway: { id: 'edge-1' },
    batch: { interval: '100ms' },
    state: { dir: stateDir },
    receivers: { sim: { type: 'simulator', sensors: 4, interval: '50ms' } },
    pipelines: {
      climate: {
        from: ['sim'],
        window: { length: '200ms', lateness: '100ms' },
        aggregate: { n: 'count()', temp_max: 'max(temp)' },
        to: Object.keys(sinks),
      },
    },
    sinks,
  });
}

/** The entries still waiting in each named sink's outbox, read from the state of a stopped gateway. */
export async function waitingInOutboxes<S extends string>(
  stateDir: string,
  sinks: readonly S[],
): Promise<Record<S, OutboxEntry[]>> {
  const store = await Store.open(stateDir, 'process');
  try {
    const out = {} as Record<S, OutboxEntry[]>;
    for (const sink of sinks) {
      const entries: OutboxEntry[] = [];
      for await (const value of store.outbox(sink).values()) entries.push(value as OutboxEntry);
      out[sink] = entries;
    }
    return out;
  } finally {
    await store.close();
  }
}

/** The ids per key, in the order given. */
export function idsByKey(records: readonly { id: string; key: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), r.id]);
  return out;
}
