// Building blocks shared by the top-level config schema and the connectors' config schemas: ids, field names,
// CEL expressions. Custom issues carry `params.hint` (how to fix it) and, for expressions, the catalog code and
// the offset of the culprit inside the expression.
import { z } from 'zod';
import { secretSchema } from './secret.js';
import { compileFilter, compileKey, type ExpressionError } from '../../operators/expressions/index.js';
import { durationSchema, sizeSchema } from './units.js';

/** Receiver, pipeline, sink and gateway ids: they name checkpoints, metrics and output ids, so keep them plain. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const ID_MAX = 64;

/** Turns an arbitrary name into a valid id, for hints: `Climate 1m` → `climate-1m`. */
export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, ID_MAX);
  return slug === '' ? 'my-id' : slug;
}

export const idSchema = z
  .string()
  .superRefine((id, ctx) => {
    if (ID_PATTERN.test(id) && id.length <= ID_MAX) return;
    ctx.addIssue({
      code: 'custom',
      input: id,
      message:
        id.length > ID_MAX
          ? `an id is at most ${ID_MAX} characters`
          : 'an id uses lowercase letters, digits, "-" and "_", and starts with a letter or digit',
      params: { hint: `e.g. ${slugify(id)}` },
    });
  })
  .meta({ title: 'id', pattern: ID_PATTERN.source });

/** A non-empty list of ids referring to other entries (`from`, `to`). */
export const idListSchema = z.array(idSchema).min(1, { error: 'the list is empty: name at least one' });

/** Output field names (aggregate names): identifiers, so that they are also CEL identifiers in alert rules. */
export const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const fieldNameSchema = z
  .string()
  .superRefine((name, ctx) => {
    if (FIELD_NAME_PATTERN.test(name)) return;
    ctx.addIssue({
      code: 'custom',
      input: name,
      message: 'an output field name uses letters, digits and "_", and does not start with a digit',
      params: { hint: `e.g. ${name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^(\d)/, '_$1') || 'value'}` },
    });
  })
  .meta({ title: 'field name', pattern: FIELD_NAME_PATTERN.source });

function expressionIssue(error: ExpressionError) {
  return {
    hint: error.hint,
    code: 'SLUICE_EXPRESSION_INVALID',
    ...(error.offset === undefined ? {} : { expressionOffset: error.offset }),
  };
}

/** A config string holding a CEL expression that must compile; the value stays the source text. */
function celSchema(
  compile: (source: string) => { ok: true } | { ok: false; error: ExpressionError },
  title: string,
) {
  return z
    .string()
    .superRefine((source, ctx) => {
      const compiled = compile(source);
      if (!compiled.ok) {
        ctx.addIssue({
          code: 'custom',
          input: source,
          message: compiled.error.message,
          params: expressionIssue(compiled.error),
        });
      }
    })
    .meta({ title });
}

/** A CEL filter (`where`): must compile and give a bool. The value stays the source text; compile it once with compileFilter. */
export const filterExpressionSchema = celSchema(compileFilter, 'CEL expression (bool)');

/** A CEL key expression (`key`): must compile and give a string or number. Compile it once with compileKey. */
export const keyExpressionSchema = celSchema(compileKey, 'CEL expression (string)');

/** A payload field holding the record's event time (receivers' `time:`). */
export const timeFieldSchema = z
  .string()
  .min(1)
  .optional()
  .describe('Payload field holding the event time (see timeFormat). Default: the arrival time.');

/** How a receiver reads its `time:` field. */
export const timeFormatSchema = z
  .enum(['auto', 'epoch-ms', 'epoch-s', 'iso8601'])
  .default('auto')
  .describe(
    'How to read the time field; auto takes numbers below 1e11 as epoch seconds, above as epoch ms, strings as ISO 8601. Default: auto.',
  );

/** Every sink's outbox bounds and overflow policy (`outbox:` under a sink). */
export const outboxLimitsSchema = z
  .strictObject({
    maxBytes: sizeSchema
      .prefault('256MiB')
      .describe('Most bytes of records the outbox holds while the sink is away. Default: 256MiB.'),
    maxAge: durationSchema
      .prefault('7d')
      .describe('Records older than this (by batch time) are dropped, counted as dropped.age. Default: 7d.'),
    onFull: z
      .enum(['drop-oldest', 'reject-new'])
      .default('drop-oldest')
      .describe(
        'When a batch would pass maxBytes: drop-oldest deletes the oldest records, reject-new keeps them and drops the new ones; both count dropped.full. Default: drop-oldest.',
      ),
  })
  .describe('Bounds of the sink’s outbox on disk. Default: 256MiB, 7d, drop-oldest.');

/** Every sink's drain rate (`drain:` under a sink). */
export const drainSchema = z
  .strictObject({
    maxBytesPerSecond: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Cap on the bytes of records sent per second, for metered uplinks (a burst of one second’s worth is allowed); 0 = unlimited. Default: 0.',
      ),
  })
  .describe('How fast the outbox drains. Default: unlimited.');

/** The keys every sink's config has; spread into each sink's strictObject. */
export const sinkCommonShape = {
  outbox: outboxLimitsSchema.prefault({}),
  drain: drainSchema.prefault({}),
};

export type OutboxLimits = z.output<typeof outboxLimitsSchema>;
export type DrainConfig = z.output<typeof drainSchema>;

/** TLS settings of a client connection (MQTT, Kafka); `keyFile` names the example credential file. */
export function tlsClientSchema(keyFile: string, description: string) {
  return z
    .strictObject({
      ca: z
        .string()
        .optional()
        .describe('CA certificate(s), PEM, e.g. ${file:/etc/sluice/ca.pem}. Default: the system CAs.'),
      cert: z.string().optional().describe('Client certificate, PEM, for mutual TLS. Default: none.'),
      key: secretSchema
        .optional()
        .describe(
          `Client private key, PEM, e.g. \${file:\${CREDENTIALS_DIRECTORY}/${keyFile}}. Default: none.`,
        ),
      rejectUnauthorized: z
        .boolean()
        .default(true)
        .describe('Verify the broker certificate. Turn off only for testing. Default: true.'),
    })
    .describe(description);
}
