// Config schema of the webhook sink (`type: webhook` under `sinks`), written once: the TypeScript type, the
// validation, the JSON Schema for editors and the reference docs all derive from it.
import { z } from 'zod';
import { sinkCommonShape } from '../../../daemon/config/common-schemas.js';
import { secretSchema } from '../../../daemon/config/secret.js';
import { durationSchema } from '../../../daemon/config/units.js';

const urlSchema = z
  .string()
  .superRefine((text, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:')) return;
    ctx.addIssue({
      code: 'custom',
      input: text,
      message: 'the webhook url must be an http:// or https:// URL',
      params: { hint: 'e.g. https://alerts.example.com/hooks/sluice' },
    });
  })
  .describe(
    'Where to POST each record, e.g. https://alerts.example.com/hooks/sluice. Redirects are not followed.',
  );

export const webhookSinkConfigSchema = z
  .strictObject({
    type: z.literal('webhook').describe('Sink type.'),
    url: urlSchema,
    secret: secretSchema.describe(
      'Signing secret (Standard Webhooks): whsec_<base64> uses the decoded bytes as the HMAC key, anything else its UTF-8 bytes. E.g. ${SLUICE_WEBHOOK_SECRET}.',
    ),
    timeout: durationSchema
      .refine((ms) => ms > 0 || { message: 'the timeout must be longer than 0' })
      .prefault('10s')
      .describe('How long one request may take before it counts as failed (and is retried). Default: 10s.'),
    format: z
      .enum(['json', 'slack'])
      .default('json')
      .describe(
        'Body: json sends the record as it is; slack sends {"text": …}, a one-line summary for Slack-compatible incoming webhooks. Default: json.',
      ),
    retryFor: durationSchema
      .refine((ms) => ms > 0 || { message: 'retryFor must be longer than 0' })
      .prefault('24h')
      .describe(
        'How long one record is retried (from its first failure, which its outbox entry keeps across restarts) before it goes to the dead letters. Default: 24h.',
      ),
    ...sinkCommonShape,
  })
  .describe(
    'POSTs each record as JSON, one request per record in order, signed as Standard Webhooks do; 5xx, 429 and timeouts are retried, other 4xx go to dead letters.',
  );

export type WebhookSinkConfig = z.output<typeof webhookSinkConfigSchema>;
