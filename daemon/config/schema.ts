// The top-level config schema (gateway, batch, state, receivers, pipelines, sinks, api). Connector schemas come
// from connectors/registry.ts. Checks across sections (a pipeline's `from` names a receiver, …) are in
// cross-check.ts, because they must run even when an unrelated section is invalid.
import { z } from 'zod';
import { receivers, sinks, type ConnectorEntry } from '../../connectors/registry.js';
import { aggregateSchema } from './aggregates.js';
import { alertSchema } from './alerts.js';
import {
  fieldNameSchema,
  filterExpressionSchema,
  idListSchema,
  idSchema,
  keyExpressionSchema,
} from './common-schemas.js';
import { secretSchema } from './secret.js';
import { durationSchema, formatDuration } from './units.js';

type ConfigSchemas<T extends readonly ConnectorEntry[]> = { -readonly [K in keyof T]: T[K]['configSchema'] };

/** The registry's schemas as the non-empty tuple z.discriminatedUnion wants (the registry is never empty). */
function connectorSchemas<const T extends readonly ConnectorEntry[]>(entries: T): ConfigSchemas<T> {
  return entries.map((entry) => entry.configSchema) as unknown as ConfigSchemas<T>;
}

const positive = (what: string) => (ms: number) => ms > 0 || { message: `${what} must be longer than 0` };

function nonEmptyMap(what: string, example: string) {
  return (map: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx) => {
    if (Object.keys(map).length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `no ${what} defined`,
        params: { hint: `add one, e.g. ${example}` },
      });
    }
  };
}

export const gatewaySchema = z
  .strictObject({
    id: idSchema.describe('This gateway’s id: part of every output id and of the MQTT client ids.'),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .describe('Free-form labels (site, building), added to status and alert notifications. Default: none.'),
  })
  .describe('Identity of this gateway.');

export const batchSchema = z
  .strictObject({
    interval: durationSchema
      .refine(positive('the batch interval'))
      .prefault('1s')
      .describe('Batch interval: every interval the driver cuts a batch and commits it. Default: 1s.'),
  })
  .describe('Micro-batching, as Spark Streaming’s batch interval.');

export const stateSchema = z
  .strictObject({
    dir: z
      .string()
      .min(1)
      .default('./state')
      .describe('Directory of the LevelDB state (WAL, checkpoints, outboxes). Default: ./state.'),
    durability: z
      .enum(['process', 'fsync'])
      .default('process')
      .describe('process: survives a daemon crash; fsync: also a power loss (slower). Default: process.'),
  })
  .describe('Where and how durably the daemon keeps what must survive a crash.');

export const windowSchema = z
  .strictObject({
    length: durationSchema.refine(positive('the window length')).describe('Window length.'),
    slide: durationSchema
      .refine(positive('the slide'))
      .optional()
      .describe('How often a window starts; must divide length. Default: length (tumbling windows).'),
    lateness: durationSchema
      .optional()
      .describe(
        'Event time only: how late a record may arrive and still count (the watermark lag). Default: 0.',
      ),
    time: z
      .enum(['event', 'processing'])
      .default('event')
      .describe(
        'event: windows by the record time, with a watermark; processing: Spark DStream windows by batch time. Default: event.',
      ),
  })
  .superRefine((window, ctx) => {
    const slide = window.slide ?? window.length;
    if (slide > window.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['slide'],
        message: `the slide (${formatDuration(slide)}) is longer than the window (${formatDuration(window.length)})`,
        params: {
          hint: `make the slide at most ${formatDuration(window.length)}, or omit it for tumbling windows`,
        },
      });
    } else if (window.length % slide !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['slide'],
        message: `the slide (${formatDuration(slide)}) does not divide the window length (${formatDuration(window.length)})`,
        params: {
          hint: `use a slide that divides ${formatDuration(window.length)}, e.g. ${dividingSlides(window.length, slide)}`,
        },
      });
    }
    if (window.time === 'processing' && window.lateness !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['lateness'],
        message: 'lateness applies to event-time windows only',
        params: { hint: 'remove lateness, or use time: event' },
      });
    }
  })
  // Normalized so that consumers never apply the defaults themselves.
  .transform((window) => ({
    ...window,
    slide: window.slide ?? window.length,
    lateness: window.lateness ?? 0,
  }))
  .describe('Sliding or tumbling window.');

/** Up to three divisors of `length` close to `near`, formatted, for hints. */
export function dividingSlides(length: number, near: number): string {
  const candidates = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]
    .map((parts) => length / parts)
    .filter((slide) => Number.isInteger(slide) && slide > 0)
    .sort((a, b) => Math.abs(a - near) - Math.abs(b - near))
    .slice(0, 3)
    .sort((a, b) => a - b);
  return candidates.length === 0 ? formatDuration(length) : candidates.map(formatDuration).join(', ');
}

export const pipelineSchema = z
  .strictObject({
    from: idListSchema.describe('Receiver ids to read from.'),
    where: filterExpressionSchema
      .optional()
      .describe('CEL filter; records for which it is false are dropped. Default: keep all.'),
    key: keyExpressionSchema
      .optional()
      .describe(
        'CEL expression overriding the receiver’s key for this pipeline. Default: the receiver’s key.',
      ),
    window: windowSchema,
    aggregate: z
      .record(fieldNameSchema, aggregateSchema)
      .superRefine(nonEmptyMap('aggregates', 'n: count()'))
      .describe(
        'Output fields, each an aggregate: count(), sum, avg, min, max, stddev, first, last, delta, rate, p50, p95, p99 (field), quantile(field, q).',
      ),
    to: idListSchema.describe('Sink ids to write window results to.'),
  })
  .describe('A windowed aggregation from receivers to sinks.');

export const apiSchema = z
  .strictObject({
    bind: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address the REST API listens on; anything but loopback needs token. Default: 127.0.0.1.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8080)
      .describe('API port; 0 picks a free one. Default: 8080.'),
    token: secretSchema
      .optional()
      .describe(
        'Bearer token every API request must carry (except /healthz); required for a non-loopback bind. E.g. ${SLUICE_API_TOKEN}. Default: none.',
      ),
  })
  .describe('The local REST API and dashboard.');

export const receiverSchema = z.discriminatedUnion('type', connectorSchemas(receivers));
export const sinkSchema = z.discriminatedUnion('type', connectorSchemas(sinks));

/** The whole config file. `z.output` of it is `Config`. */
export const configSchema = z
  .strictObject({
    gateway: gatewaySchema,
    batch: batchSchema.prefault({}),
    state: stateSchema.prefault({}),
    receivers: z
      .record(idSchema, receiverSchema)
      .superRefine(
        nonEmptyMap(
          'receivers',
          'climate: { type: mqtt, url: mqtt://127.0.0.1:1883, topics: ["sensors/#"] }',
        ),
      )
      .describe('Inputs, by id.'),
    pipelines: z
      .record(idSchema, pipelineSchema)
      .prefault({})
      .describe('Windowed aggregations, by id. Default: none.'),
    sinks: z.record(idSchema, sinkSchema).prefault({}).describe('Outputs, by id. Default: none.'),
    alerts: z
      .record(idSchema, alertSchema)
      .prefault({})
      .describe('Alert rules, by id: notifications to sinks when a condition holds. Default: none.'),
    api: apiSchema.prefault({}),
  })
  .describe('Sluice gateway configuration.');

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ReceiverConfig = z.output<typeof receiverSchema>;
export type SinkConfig = z.output<typeof sinkSchema>;
export type PipelineConfig = z.output<typeof pipelineSchema>;
export type WindowConfig = z.output<typeof windowSchema>;
export type ApiConfig = z.output<typeof apiSchema>;
export type { AlertConfig } from './alerts.js';
