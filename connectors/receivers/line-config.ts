// Config keys shared by the receivers that read text lines (file, tcp), written once: what a line holds, how it
// becomes a record (key, event time) and the longest line; plus the check that CSV has its column names.
import { z } from 'zod';
import {
  keyExpressionSchema,
  timeFieldSchema,
  timeFormatSchema,
} from '../../daemon/config/common-schemas.js';

export const LINE_FORMATS = ['json', 'csv', 'kv', 'text', 'number', 'nmea'] as const;

/** The keys, to spread into a receiver's strictObject; `keyDefault` says what the key is without `key`. */
export function lineRecordShape(options: { keyDefault: string; header: string }) {
  return {
    format: z
      .enum(LINE_FORMATS)
      .default('json')
      .describe(
        'What a line holds: json, csv (see columns/header), kv (key=value pairs), text, number, nmea (NMEA 0183). Default: json.',
      ),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('format: csv: the column names, in order (or header: true). Default: none.'),
    header: z.boolean().default(false).describe(`format: csv: ${options.header} Default: false.`),
    key: keyExpressionSchema
      .optional()
      .describe(
        `CEL expression giving the record key, e.g. sensor (a field). Default: ${options.keyDefault}.`,
      ),
    time: timeFieldSchema,
    timeFormat: timeFormatSchema,
    maxLineLength: z
      .int()
      .min(1)
      .max(16_777_216)
      .default(65_536)
      .describe('Longest line in bytes; a longer one is dead-lettered in pieces. Default: 65536.'),
  };
}

/** format: csv needs columns or header: true. */
export function checkCsvColumns(
  config: { format: string; columns?: string[] | undefined; header: boolean },
  ctx: z.RefinementCtx,
): void {
  if (config.format === 'csv' && config.columns === undefined && !config.header) {
    ctx.addIssue({
      code: 'custom',
      path: ['columns'],
      message: 'format: csv needs the column names',
      params: { hint: 'add e.g. columns: [ts, sensor, temp], or header: true when the lines start with one' },
    });
  }
}
