// The counting gateway the crash and fault tests run: readings from one or more receivers, counted (`n`) and summed
// (`v_sum`) per key in 1 s windows, written to one file sink, so that test/support/window-results.ts can prove every
// reading was counted exactly once. Each test names what differs (its receivers, the state directory, the window).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

export interface CountingConfig {
  /** gateway.id */
  id: string;
  /** state.dir */
  stateDir: string;
  /** batch.interval; default 100ms. */
  batchInterval?: string;
  /** The receivers by name; the pipeline `counts` reads from all of them. */
  receivers: Record<string, Record<string, unknown>>;
  /** The file sink's path (the sink is named `file`). */
  out: string;
  /** Default: event time, 1 s windows, 1 h lateness. */
  window?: Record<string, string>;
  /** Default: `n: count()` and `v_sum: sum(v)`. */
  aggregate?: Record<string, string>;
  /** Whether the REST API listens (on a free port). */
  api?: boolean;
}

/**
 * An MQTT receiver for topics `s/<key>` with the reading's time in `ts`; `overrides` adds the broker (`url` or
 * `embedded`) and anything else, and an `undefined` value leaves a key out.
 */
export function mqttSensors(overrides: Record<string, unknown>): Record<string, unknown> {
  return { type: 'mqtt', topics: ['s/+'], key: 'topicParts[1]', time: 'ts', ...overrides };
}

/** The counting gateway's config as YAML. */
export function countingConfig(config: CountingConfig): string {
  return stringify({
    gateway: { id: config.id },
    batch: { interval: config.batchInterval ?? '100ms' },
    state: { dir: config.stateDir },
    receivers: config.receivers,
    pipelines: {
      counts: {
        from: Object.keys(config.receivers),
        window: config.window ?? { length: '1s', lateness: '1h' },
        aggregate: config.aggregate ?? { n: 'count()', v_sum: 'sum(v)' },
        to: ['file'],
      },
    },
    sinks: { file: { type: 'file', path: config.out } },
    ...(config.api === true ? { api: { port: 0 } } : {}),
  });
}

/** Writes the counting gateway's config to `file` and returns `file`. */
export async function writeCountingConfig(file: string, config: CountingConfig): Promise<string> {
  await writeFile(file, countingConfig(config));
  return file;
}

/**
 * The smallest running gateway: two simulated sensors counted per 1 s of processing time into `./out.jsonl`, state
 * in `./state`, the API on a free port. Written to `<dir>/sluice.yaml` (paths relative to `dir`, so the daemon
 * must run there); returns the file.
 */
export async function writeSimulatorConfig(dir: string, id: string): Promise<string> {
  const file = path.join(dir, 'sluice.yaml');
  await writeFile(
    file,
    `gateway: { id: ${id} }
batch: { interval: 200ms }
state: { dir: ./state }
receivers:
  sensors: { type: simulator, sensors: 2, interval: 100ms }
sinks:
  out: { type: file, path: ./out.jsonl }
pipelines:
  p: { from: [sensors], window: { length: 1s, time: processing }, aggregate: { n: count() }, to: [out] }
api: { port: 0 }
`,
  );
  return file;
}
