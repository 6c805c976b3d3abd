// Compiles the config's pipelines into one DStream graph over the intake's records: filter by receiver and
// `where`, key, window (event time with a watermark, or Spark's processing-time windows), aggregate, and hand
// each window result to the pipeline's sinks. One engine for code and config alike.
import type { OutboxEntry } from '../../connectors/types.js';
import {
  compileAggregateSet,
  setAggregator,
  type AggregateResult,
} from '../../operators/aggregates/index.js';
import { compileFilter, compileKey, evaluateFilter, evaluateKey } from '../../operators/expressions/index.js';
import { StreamingContext, type Clock, type DStream } from '../../operators/index.js';
import type { AlertInput } from '../../operators/alerts/index.js';
import type { Config } from '../config/schema.js';
import { SluiceError } from '../errors.js';
import type { IngestRecord } from '../intake/record.js';
import { windowRecord } from './window-result.js';
import { alertsRead, compileAlerts, type AlertBoard, type AlertSources } from './alerts.js';

/** A record a pipeline could not use (its `where` or `key` failed on it, or it came too late). */
export interface Rejected {
  pipeline: string;
  record: IngestRecord;
  reason: string;
}

export interface CompiledGraph {
  ctx: StreamingContext;
  /** Sets the records of the next batch. */
  feed(records: readonly IngestRecord[]): void;
  /** Outputs of the batches run since the last call, per sink, in order. */
  takeOutputs(): Map<string, OutboxEntry[]>;
  /** Records pipelines rejected since the last call. */
  takeRejected(): Rejected[];
  /** Longest window (plus lateness) of any pipeline, ms: how long empty batches take to drain every window. */
  readonly longestWindowMs: number;
}

/** board: where the alert rules show their state and read their silences. Default: a board of its own. */
export function compilePipelines(config: Config, clock: Clock, board?: AlertBoard): CompiledGraph {
  const ctx = new StreamingContext({ batchIntervalMs: config.batch.interval, clock });
  let next: readonly IngestRecord[] = [];
  const input = ctx.inputStream<IngestRecord>(() => {
    const batch = next;
    next = [];
    return batch;
  }, 'intake');
  let outputs = new Map<string, OutboxEntry[]>();
  let rejected: Rejected[] = [];
  let longestWindowMs = 0;
  const alertSources: AlertSources = new Map();

  for (const [id, pipeline] of Object.entries(config.pipelines)) {
    const from = new Set(pipeline.from);
    const where =
      pipeline.where === undefined ? undefined : mustCompile(compileFilter(pipeline.where), id, 'where');
    const keyExpr = pipeline.key === undefined ? undefined : mustCompile(compileKey(pipeline.key), id, 'key');
    const reject = (record: IngestRecord, reason: string): void => {
      rejected.push({ pipeline: id, record, reason });
    };
    // No expression to run: a filter and a map, so no array per record besides its [key, record] pair (and the
    // engine may fuse the map into the window that reads it), and no scope to build (a topic split and an object).
    const keyed: DStream<[string, IngestRecord]> =
      where === undefined && keyExpr === undefined
        ? input
            .filter((record) => from.has(record.receiver))
            .mapToPair((record): [string, IngestRecord] => [record.key, record])
        : input.flatMap((record) => expressions(record));
    function expressions(record: IngestRecord): [string, IngestRecord][] {
      if (!from.has(record.receiver)) return [];
      const scope = {
        fields: record.fields,
        topic: record.topic,
        topicParts: record.topic.split('/'),
        receiver: record.receiver,
        ts: record.eventMs,
      };
      if (where !== undefined) {
        const verdict = evaluateFilter(where, scope);
        if (!verdict.ok) {
          reject(record, `where: ${verdict.message}`);
          return [];
        }
        if (!verdict.keep) return [];
      }
      let key = record.key;
      if (keyExpr !== undefined) {
        const result = evaluateKey(keyExpr, scope);
        if (!result.ok) {
          reject(record, `key: ${result.message}`);
          return [];
        }
        key = result.key;
      }
      return [[key, record]];
    }
    // Folds whole records, each at its event time; numeric sets get the columnar window (typed arrays).
    const aggregator = setAggregator(
      compileAggregateSet(pipeline.aggregate),
      (r: IngestRecord) => r.fields,
      (r: IngestRecord) => r.eventMs,
    );
    const { length, slide, lateness, time } = pipeline.window;
    longestWindowMs = Math.max(longestWindowMs, length + lateness);
    const emit = (key: string, start: number, end: number, values: AggregateResult): void => {
      const record = windowRecord(config.gateway.id, id, key, start, end, values);
      const value = JSON.stringify(record);
      for (const sink of pipeline.to) {
        let list = outputs.get(sink);
        if (list === undefined) outputs.set(sink, (list = []));
        list.push({ id: record.id, key, value });
      }
    };
    if (time === 'event') {
      const windows = keyed
        .windowByEventTime({
          lengthMs: length,
          slideMs: slide,
          allowedLatenessMs: lateness,
          time: (r) => r.eventMs,
          aggregate: aggregator,
        })
        .named(`pipeline/${id}`);
      windows.foreachBatch((items) => {
        for (const [key, w] of items) emit(key, w.start, w.end, w.value);
      });
      if (alertsRead(config, id)) {
        alertSources.set(
          id,
          windows.map(([key, w]): [string, AlertInput] => [key, { timeMs: w.end, values: w.value }]),
        );
      }
      windows.late().foreachBatch((items) => {
        for (const [, record] of items) reject(record, 'late: its window had already been emitted');
      });
    } else {
      const windows = keyed.aggregateByKeyAndWindow(aggregator, length, slide).named(`pipeline/${id}`);
      windows.foreachBatch((items, t) => {
        for (const [key, values] of items) emit(key, t - length, t, values);
      });
      if (alertsRead(config, id)) {
        alertSources.set(
          id,
          windows.transform((items, t) =>
            items.map(([key, values]): [string, AlertInput] => [key, { timeMs: t, values }]),
          ),
        );
      }
    }
  }
  // Alerts come after the pipelines: their notifications follow the window results of the same batch.
  compileAlerts(
    config,
    input,
    alertSources,
    (sinks, entry) => {
      for (const sink of sinks) {
        let list = outputs.get(sink);
        if (list === undefined) outputs.set(sink, (list = []));
        list.push(entry);
      }
    },
    board,
  );
  if (Object.keys(config.pipelines).length === 0) input.foreachBatch(() => undefined);

  return {
    ctx,
    feed: (records) => {
      next = records;
    },
    takeOutputs: () => {
      const taken = outputs;
      outputs = new Map();
      return taken;
    },
    takeRejected: () => {
      const taken = rejected;
      rejected = [];
      return taken;
    },
    longestWindowMs,
  };
}

function mustCompile<T>(
  result: { ok: true; value: T } | { ok: false; error: { message: string } },
  pipeline: string,
  what: string,
): T {
  if (result.ok) return result.value;
  // validate() reports these before anything starts; reaching here means the config skipped validation.
  throw new SluiceError(
    'SLUICE_EXPRESSION_INVALID',
    `pipelines.${pipeline}.${what}: ${result.error.message}`,
  );
}
