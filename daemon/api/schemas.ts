// The API's request and response shapes, written once in zod: the TypeScript types come from z.infer and the
// route schemas (validation by fastify's ajv, serialization by fast-json-stringify, the OpenAPI document) from
// z.toJSONSchema.
import { z } from 'zod';

/** A route's JSON Schema from a zod schema; requests are validated as input, responses serialized as output. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-07',
    io,
    unrepresentable: 'any',
  });
  return rest;
}

/** Ids of pipelines and receivers, as the config allows them: nothing that could be a path. */
export const idParam = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/)
  .max(64)
  .describe('A pipeline or receiver id of the running config.');

export const errorBody = z
  .object({
    error: z.string().describe('Catalog code, e.g. SLUICE_API_NOT_FOUND.'),
    message: z.string(),
    hint: z.string().optional(),
    issues: z
      .array(z.object({ path: z.string(), message: z.string(), hint: z.string().optional() }))
      .optional()
      .describe('For a refused reload: each problem of the new config.'),
  })
  .describe('Every error response.');

const connectorError = z.object({ message: z.string(), atMs: z.number() }).nullable();

const connector = {
  state: z.enum(['connecting', 'connected', 'degraded', 'stopped']),
  sinceMs: z.number().describe('When the state last changed, epoch ms.'),
  lastError: connectorError,
  failures: z.number().int().describe('Failed attempts since the last success.'),
};

const delays = z.object({
  avg: z.number().nullable(),
  latest: z.number().nullable(),
});

export const statusBody = z.object({
  version: z.string(),
  gateway: z.string(),
  phase: z.enum(['created', 'starting', 'ready', 'stopping', 'stopped', 'failed']),
  uptimeSeconds: z.number().describe('Since the process started.'),
  startedMs: z.number().describe('When the running gateway (config) was built, epoch ms.'),
  commitError: z.string().nullable(),
  batches: z
    .object({
      intervalMs: z.number(),
      count: z.number().int().describe('Batches summarized (the last N).'),
      lastBatchMs: z.number().nullable(),
      inputRate: delays.describe('Records per second.'),
      schedulingDelayMs: delays,
      processingMs: delays,
      totalDelayMs: delays,
    })
    .describe('As Spark’s streaming UI shows them, over the last N batches.'),
  receivers: z.record(
    z.string(),
    z.object({
      ...connector,
      records: z.number().int(),
      recordsPerSecond: z.number(),
      lastRecordMs: z.number().nullable(),
      deadLetters: z.number().int(),
    }),
  ),
  sinks: z.record(
    z.string(),
    z.object({
      ...connector,
      sent: z.number().int(),
      outboxEntries: z.number().int(),
      outboxBytes: z.number().int(),
      oldestEntryAgeSeconds: z.number().nullable(),
      outbox: z
        .object({
          entries: z.number().int(),
          bytes: z.number().int(),
          oldestMs: z.number().nullable(),
          maxBytes: z.number().int(),
          maxAgeMs: z.number().int(),
          onFull: z.enum(['drop-oldest', 'reject-new']),
          dropped: z
            .object({ full: z.number().int(), age: z.number().int() })
            .describe('Entries dropped since start: by the overflow policy (full), older than maxAge (age).'),
        })
        .describe('The outbox’s running counters and bounds.'),
    }),
  ),
  intake: z.object({
    pending: z.number().int(),
    backpressured: z.boolean(),
    lastError: z.string().nullable(),
  }),
  disk: z.object({
    path: z.string(),
    totalBytes: z.number().nullable(),
    availableBytes: z.number().nullable(),
    dbBytes: z.number().nullable(),
    /** True while the store refuses writes for lack of space (input is not acknowledged meanwhile). */
    full: z.boolean(),
  }),
});
export type StatusBody = z.infer<typeof statusBody>;

export const healthBody = z.object({ status: z.literal('ok') });
export const readyBody = z.object({ ready: z.boolean(), phase: z.string(), reason: z.string().optional() });

export const pipelineBody = z.object({
  id: z.string(),
  from: z.array(z.string()),
  to: z.array(z.string()),
  where: z.string().nullable(),
  key: z.string().nullable(),
  window: z.object({
    lengthMs: z.number(),
    slideMs: z.number(),
    latenessMs: z.number(),
    time: z.enum(['event', 'processing']),
  }),
  aggregates: z.array(z.string()).describe('Output field names.'),
  resultsKept: z.number().int().describe('Window results in memory, served by /results.'),
});
export const pipelinesBody = z.object({ pipelines: z.array(pipelineBody) });

export const limitQuery = z.object({
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(50)
    .describe('At most this many, newest first. Default: 50.'),
});
export const resultsBody = z.object({
  pipeline: z.string(),
  results: z.array(
    z.object({
      id: z.string(),
      gateway: z.string(),
      pipeline: z.string(),
      key: z.string(),
      windowStart: z.number(),
      windowEnd: z.number(),
      values: z.record(z.string(), z.number().nullable()),
    }),
  ),
});

export const deadLettersQuery = limitQuery.extend({ receiver: idParam.optional() });
export const deadLettersBody = z.object({
  deadLetters: z.array(
    z.object({
      receiver: z.string(),
      topic: z.string(),
      arrivalMs: z.number(),
      reason: z.string(),
      payload: z.string(),
      encoding: z.enum(['utf8', 'hex']),
      bytes: z.number().int(),
    }),
  ),
});

export const reloadBody = z.strictObject({}).describe('Empty, or no body at all.');
export const reloadResult = z.object({ reloaded: z.boolean(), gateway: z.string() });

/** Ids the API makes for silences (UUIDs): nothing that could be a path. */
export const silenceIdParam = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  .describe('A silence id, as POST /api/v1/alerts/{id}/silence answered it.');

export const silenceBody = z
  .strictObject({
    duration: z
      .string()
      .min(1)
      .max(32)
      .describe('How long, as in the config: 30m, 2h, 1d, 1h30m. At most 90d.'),
    key: z
      .string()
      .min(1)
      .max(200)
      // No control characters: a key is shown in the dashboard and in logs.
      .regex(/^\P{Cc}+$/u)
      .optional()
      .describe('Silence only this key of the alert (e.g. sensor-7). Default: every key.'),
    comment: z.string().max(500).optional().describe('Why, for the next person. Default: none.'),
  })
  .describe('What to silence and for how long.');

export const silence = z.object({
  id: z.string(),
  alert: z.string(),
  key: z.string().nullable().describe('null: every key of the alert.'),
  comment: z.string().nullable(),
  createdMs: z.number(),
  expiresMs: z.number().describe('Epoch ms; the daemon’s clock ends it.'),
  suppressed: z.number().int().describe('Notifications it held back since the daemon started.'),
});
export const silenceResult = z.object({ silence });
export const silencesBody = z.object({ silences: z.array(silence) });

const historyEntry = z.object({
  id: z.string().describe('The notification id (as sent, or as it would have been).'),
  key: z.string(),
  status: z.enum(['firing', 'resolved']),
  reason: z.enum(['transition', 'repeat', 'silence-ended']),
  silenced: z.boolean().describe('True when a silence held the notification back.'),
  atMs: z.number().describe('Batch time of the decision.'),
  startsAt: z.number(),
  endsAt: z.number().optional(),
  values: z.record(z.string(), z.unknown()),
});

export const alertsQuery = z.object({
  history: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(20)
    .describe('History entries per alert, newest first. Default: 20.'),
});

export const alertsBody = z.object({
  alerts: z.array(
    z.object({
      id: z.string(),
      from: z.string(),
      severity: z.enum(['info', 'warning', 'critical']),
      when: z.string().nullable(),
      clear: z.string().nullable(),
      forMs: z.number().nullable(),
      absentMs: z.number().nullable(),
      repeatMs: z.number().nullable(),
      notify: z.array(z.string()),
      labels: z.record(z.string(), z.string()),
      firing: z.number().int(),
      pending: z.number().int(),
      suppressed: z.number().int().describe('Notifications silenced (kept across restarts).'),
      instances: z
        .array(
          z.object({
            key: z.string(),
            state: z.enum(['pending', 'firing']),
            sinceMs: z.number().describe('Pending: since the condition holds; firing: since it fired.'),
            values: z.record(z.string(), z.unknown()),
            notified: z.boolean().describe('Firing: whether its notification went out.'),
            suppressed: z.number().int(),
            silencedUntilMs: z.number().nullable().describe('When the silence covering it ends, or null.'),
          }),
        )
        .describe('Keys that are pending or firing now, firing first.'),
      history: z.array(historyEntry).describe('Its latest notifications, sent or silenced, newest first.'),
    }),
  ),
  silences: z.array(silence),
});

export const batchesBody = z.object({
  intervalMs: z.number(),
  batches: z
    .array(
      z.object({
        batchTimeMs: z.number(),
        records: z.number().int(),
        outputs: z.number().int(),
        schedulingDelayMs: z.number(),
        processingMs: z.number(),
        totalDelayMs: z.number(),
      }),
    )
    .describe('The last batches, oldest first (for charts).'),
});
