// Config schema of the file sink (`type: file` under `sinks`), written once: the TypeScript type, the
// validation, the JSON Schema for editors and the reference docs all derive from it.
import { z } from 'zod';
import { sinkCommonShape } from '../../../daemon/config/common-schemas.js';
import { sizeSchema } from '../../../daemon/config/units.js';

const rotateSchema = z
  .strictObject({
    maxBytes: sizeSchema
      .prefault('64MiB')
      .describe('Rotate when the file would grow past this size. Default: 64MiB.'),
    keep: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe('Rotated files to keep (path.1 … path.N, oldest deleted); 0 keeps none. Default: 5.'),
  })
  .describe('Size-based rotation. Default: 64MiB, 5 files kept.');

export const fileSinkConfigSchema = z
  .strictObject({
    type: z.literal('file').describe('Sink type.'),
    path: z
      .string()
      .min(1)
      .describe(
        'File to append to, one JSON record per line; relative paths are resolved from the working directory.',
      ),
    rotate: rotateSchema.prefault({}),
    ...sinkCommonShape,
  })
  .describe(
    'Appends each output record as one JSON line; rotated by size; a crash never leaves a torn line.',
  );

export type FileSinkConfig = z.output<typeof fileSinkConfigSchema>;
