// The `framing:` block of a serial receiver or device profile, written once in zod (type, validation, docs), and
// the factory that builds the framer it describes.
import { z } from 'zod';
import { delimiterFramer } from './delimiter.js';
import { interByteTimeoutFramer } from './inter-byte-timeout.js';
import { lengthFramer } from './length.js';
import { lineFramer } from './line.js';
import { slipFramer } from './slip.js';
import type { Framer } from './types.js';

const maxLengthSchema = z
  .int()
  .min(1)
  .max(1_048_576)
  .optional()
  .describe('Longest frame in bytes; longer input is dead-lettered in pieces. Default: 4096.');

/** Bytes written as a string (`"\r\n"`) or as a list of byte values (`[0x7e]`, `[13, 10]`). */
const bytesSchema = z.union([
  z.string().min(1, { error: 'give at least one character' }),
  z.array(z.int().min(0).max(255, { error: 'a byte is 0–255' })).min(1, { error: 'give at least one byte' }),
]);

export const framingSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({
        type: z.literal('line'),
        eol: z
          .enum(['auto', 'lf', 'crlf', 'cr'])
          .default('auto')
          .describe('What ends a line: auto (LF, CR LF or CR), lf (LF or CR LF), crlf, cr. Default: auto.'),
        maxLength: maxLengthSchema,
        skipEmpty: z.boolean().default(true).describe('Drop empty lines. Default: true.'),
      })
      .describe('Text lines.'),
    z
      .strictObject({
        type: z.literal('delimiter'),
        delimiter: bytesSchema.describe('The bytes that end a frame, e.g. "\\r\\n>" or [0x7e].'),
        maxLength: maxLengthSchema,
        skipEmpty: z.boolean().default(true).describe('Drop empty frames. Default: true.'),
      })
      .describe('Frames ended by a fixed byte sequence.'),
    z
      .strictObject({
        type: z.literal('length'),
        prefixBytes: z.literal([1, 2, 4]).default(2).describe('Size of the length prefix. Default: 2.'),
        byteOrder: z
          .enum(['big', 'little'])
          .default('big')
          .describe('Byte order of the prefix. Default: big.'),
        lengthIncludesPrefix: z
          .boolean()
          .default(false)
          .describe('The length counts the prefix too. Default: false.'),
        preamble: bytesSchema.optional().describe('Sync bytes before each prefix. Default: none.'),
        minLength: z.int().min(0).default(1).describe('Shortest payload; shorter is noise. Default: 1.'),
        maxLength: maxLengthSchema,
      })
      .describe('Length-prefixed binary frames.'),
    z
      .strictObject({
        type: z.literal('inter-byte-timeout'),
        gapMs: z
          .number()
          .positive()
          .max(60_000)
          .default(50)
          .describe('Silence in ms that ends a frame (allow for USB adapter latency). Default: 50.'),
        maxLength: maxLengthSchema,
      })
      .describe('Frames ended by a silence on the line.'),
    z
      .strictObject({ type: z.literal('slip'), maxLength: maxLengthSchema })
      .describe('SLIP (RFC 1055) frames.'),
  ])
  .describe('How the byte stream is cut into frames.');

export type FramingConfig = z.output<typeof framingSchema>;

/** Builds the framer a (validated) framing config describes. */
export function createFramer(config: FramingConfig): Framer {
  const max = config.maxLength === undefined ? {} : { maxLength: config.maxLength };
  switch (config.type) {
    case 'line':
      return lineFramer({ eol: config.eol, skipEmpty: config.skipEmpty, ...max });
    case 'delimiter':
      return delimiterFramer({ delimiter: config.delimiter, skipEmpty: config.skipEmpty, ...max });
    case 'length':
      return lengthFramer({
        prefixBytes: config.prefixBytes,
        byteOrder: config.byteOrder,
        lengthIncludesPrefix: config.lengthIncludesPrefix,
        minLength: config.minLength,
        ...(config.preamble === undefined ? {} : { preamble: config.preamble }),
        ...max,
      });
    case 'inter-byte-timeout':
      return interByteTimeoutFramer({ gapMs: config.gapMs, ...max });
    case 'slip':
      return slipFramer(max);
  }
}
