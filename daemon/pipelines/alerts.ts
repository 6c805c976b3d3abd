// Compiles the config's alert rules into the pipeline graph: each rule reads a pipeline's window results (at
// their window end) or a receiver's raw records (at their event time), keyed as they are, and its notifications
// go to the rule's sinks like any other output, under their deterministic ids.
import type { OutboxEntry } from '../../connectors/types.js';
import { alertRule, type AlertInput } from '../../operators/alerts/index.js';
import type { DStream } from '../../operators/index.js';
import type { Config } from '../config/schema.js';
import type { IngestRecord } from '../intake/record.js';

/** The streams alert rules can read, by pipeline id; receivers are read from the intake directly. */
export type AlertSources = Map<string, DStream<[string, AlertInput]>>;

/** True when some alert reads this pipeline: only then does the graph get a stream for it. */
export function alertsRead(config: Config, pipeline: string): boolean {
  return Object.values(config.alerts).some((alert) => alert.from === pipeline);
}

export function compileAlerts(
  config: Config,
  input: DStream<IngestRecord>,
  pipelines: AlertSources,
  push: (sinks: readonly string[], entry: OutboxEntry) => void,
): void {
  const receiverStreams = new Map<string, DStream<[string, AlertInput]>>();
  const receiverStream = (receiver: string): DStream<[string, AlertInput]> => {
    let stream = receiverStreams.get(receiver);
    if (stream === undefined) {
      stream = input.flatMap((record): [string, AlertInput][] =>
        record.receiver === receiver ? [[record.key, { timeMs: record.eventMs, values: record.fields }]] : [],
      );
      receiverStreams.set(receiver, stream);
    }
    return stream;
  };
  for (const [id, alert] of Object.entries(config.alerts)) {
    const source = pipelines.get(alert.from) ?? receiverStream(alert.from);
    alertRule(source, {
      id,
      gateway: config.gateway.id,
      source: alert.from,
      severity: alert.severity,
      labels: { ...(config.gateway.labels ?? {}), ...(alert.labels ?? {}) },
      ...(alert.when === undefined ? {} : { when: alert.when }),
      ...(alert.clear === undefined ? {} : { clear: alert.clear }),
      ...(alert.for === undefined ? {} : { forMs: alert.for }),
      ...(alert.repeat === undefined ? {} : { repeatMs: alert.repeat }),
      ...(alert.absent === undefined ? {} : { absentMs: alert.absent }),
    })
      .named(`alert/${id}`)
      .foreachBatch((notifications) => {
        for (const n of notifications) push(alert.notify, { id: n.id, key: n.key, value: JSON.stringify(n) });
      });
  }
}
