// Config schema of the file receiver (`type: file`), written once: type, validation, JSON Schema and docs.
import { z } from 'zod';
import {
  keyExpressionSchema,
  timeFieldSchema,
  timeFormatSchema,
} from '../../../daemon/config/common-schemas.js';
import { durationSchema } from '../../../daemon/config/units.js';
import { namePattern } from './pattern.js';

export const FILE_FORMATS = ['json', 'csv', 'kv', 'text', 'number', 'nmea'] as const;

export const fileReceiverConfigSchema = z
  .strictObject({
    type: z.literal('file').describe('Receiver type.'),
    path: z
      .string()
      .min(1)
      .describe('The directory to watch (not its subdirectories).')
      .meta({ examples: ['/var/spool/sensors'] }),
    pattern: z
      .string()
      .min(1)
      .default('*')
      .superRefine((pattern, ctx) => {
        const compiled = namePattern(pattern);
        if (!compiled.ok) {
          ctx.addIssue({
            code: 'custom',
            input: pattern,
            message: compiled.message,
            params: { hint: 'e.g. *.csv, log-??.txt or *.{csv,txt}' },
          });
        }
      })
      .describe(
        'Which file names to read: a glob on the name (*, ?, [abc], {csv,txt}); names starting with a dot are skipped unless the pattern starts with one. Default: *.',
      ),
    format: z
      .enum(FILE_FORMATS)
      .default('json')
      .describe(
        'What a line holds: json, csv (see columns/header), kv (key=value pairs), text, number, nmea (NMEA 0183). Default: json.',
      ),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('format: csv: the column names, in order (or header: true). Default: none.'),
    header: z
      .boolean()
      .default(false)
      .describe(
        'format: csv: the first line of each file names the columns (every file has the same header). Default: false.',
      ),
    key: keyExpressionSchema
      .optional()
      .describe(
        'CEL expression giving the record key, e.g. sensor (a field). Default: the file name (topic).',
      ),
    time: timeFieldSchema,
    timeFormat: timeFormatSchema,
    maxLineLength: z
      .int()
      .min(1)
      .max(16_777_216)
      .default(65_536)
      .describe('Longest line in bytes; a longer one is dead-lettered in pieces. Default: 65536.'),
    idle: durationSchema
      .prefault('10s')
      .describe(
        'A last line without a newline is read once its file has not changed for this long (the writer closed it). Default: 10s.',
      ),
    pollInterval: durationSchema
      .prefault('2s')
      .describe(
        'How often the directory is listed, besides change notifications (inotify), which a network filesystem may not give. Default: 2s.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.format === 'csv' && config.columns === undefined && !config.header) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: 'format: csv needs the column names',
        params: {
          hint: 'add e.g. columns: [ts, sensor, temp], or header: true when the files start with one',
        },
      });
    }
  })
  .describe(
    'Watches a directory and reads each file once, line by line, as it grows; remembers how far it read across restarts.',
  );

export type FileReceiverConfig = z.output<typeof fileReceiverConfigSchema>;
