// Config schema of the file receiver (`type: file`), written once: type, validation, JSON Schema and docs.
import { z } from 'zod';
import { durationSchema } from '../../../daemon/config/units.js';
import { checkCsvColumns, lineRecordShape } from '../line-config.js';
import { namePattern } from './pattern.js';

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
    ...lineRecordShape({
      keyDefault: 'the file name (topic)',
      header: 'the first line of each file names the columns (every file has the same header).',
    }),
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
  .superRefine(checkCsvColumns)
  .describe(
    'Watches a directory and reads each file once, line by line, as it grows; remembers how far it read across restarts.',
  );

export type FileReceiverConfig = z.output<typeof fileReceiverConfigSchema>;
