// Config schema of alert rules (`alerts:`, by id), written once: type, validation, JSON Schema and reference
// docs derive from it. Checks against other sections (from, notify, value names) are in cross-check.ts.
import { z } from 'zod';
import { filterExpressionSchema, idListSchema, idSchema } from './common-schemas.js';
import { durationSchema } from './units.js';

const positive = (what: string) => (ms: number) => ms > 0 || { message: `${what} must be longer than 0` };

export const alertSchema = z
  .strictObject({
    from: idSchema.describe(
      'A pipeline id (its window results, at their window end) or a receiver id (its raw records, at their event time).',
    ),
    when: filterExpressionSchema
      .optional()
      .describe(
        'CEL condition over the values, e.g. temp_max > 40.0 (a pipeline’s aggregate names, a receiver’s payload fields). Give when or absent.',
      ),
    for: durationSchema
      .optional()
      .describe('How long when must hold (record time) before the alert fires. Default: 0 (at once).'),
    clear: filterExpressionSchema
      .optional()
      .describe(
        'CEL condition that resolves a firing alert (hysteresis), e.g. temp_max < 38.0. Default: not when.',
      ),
    absent: durationSchema
      .refine(positive('absent'))
      .optional()
      .describe(
        'Fires when a key that was seen sends nothing for this long; resolves when it sends again. Give when or absent.',
      ),
    severity: z
      .enum(['info', 'warning', 'critical'])
      .default('warning')
      .describe('Notification severity. Default: warning.'),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .describe('Labels added to every notification (over the gateway’s labels). Default: none.'),
    repeat: durationSchema
      .refine(positive('repeat'))
      .optional()
      .describe('Re-notify this often while the alert is still firing. Default: never.'),
    notify: idListSchema.describe('Sink ids the notifications go to.'),
  })
  .superRefine((alert, ctx) => {
    if ((alert.when === undefined) === (alert.absent === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: alert.when === undefined ? [] : ['absent'],
        message:
          alert.when === undefined
            ? 'an alert needs a condition: when or absent'
            : 'an alert has either when or absent, not both',
        params: { hint: 'e.g. when: temp_max > 40.0, or absent: 2m (as a second alert)' },
      });
    }
    if (alert.absent !== undefined) {
      for (const key of ['for', 'clear'] as const) {
        if (alert[key] === undefined) continue;
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} applies to when conditions only`,
          params: {
            hint: `remove ${key}: an absence fires after absent and resolves when the key sends again`,
          },
        });
      }
    }
  })
  .describe(
    'An alert rule: a condition (or an absence) per key, with a notification on firing and on resolve.',
  );

export type AlertConfig = z.output<typeof alertSchema>;
