// Config schema of the TCP receiver (`type: tcp`), written once: type, validation, JSON Schema and docs.
import { z } from 'zod';
import {
  keyExpressionSchema,
  timeFieldSchema,
  timeFormatSchema,
} from '../../../daemon/config/common-schemas.js';

export const TCP_FORMATS = ['json', 'csv', 'kv', 'text', 'number', 'nmea'] as const;

const portSchema = z.int().min(1).max(65_535);

export const tcpReceiverConfigSchema = z
  .strictObject({
    type: z.literal('tcp').describe('Receiver type.'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Client mode: the host to connect to. Default: 127.0.0.1.'),
    port: portSchema
      .optional()
      .describe('Client mode: the port to connect to (as Spark’s socketTextStream). Give port or listen.'),
    listen: z
      .strictObject({
        port: portSchema.describe('Port to listen on.'),
        host: z
          .string()
          .min(1)
          .default('127.0.0.1')
          .describe('Address to listen on; 0.0.0.0 for every interface. Default: 127.0.0.1.'),
      })
      .optional()
      .describe('Server mode: listen, and read lines from every client that connects. Give port or listen.'),
    format: z
      .enum(TCP_FORMATS)
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
      .describe('format: csv: the first line names the columns. Default: false.'),
    key: keyExpressionSchema
      .optional()
      .describe(
        'CEL expression giving the record key, e.g. sensor (a field). Default: the topic (host:port of the peer).',
      ),
    time: timeFieldSchema,
    timeFormat: timeFormatSchema,
    maxLineLength: z
      .int()
      .min(1)
      .max(16_777_216)
      .default(65_536)
      .describe('Longest line in bytes; a longer one is dead-lettered in pieces. Default: 65536.'),
  })
  .superRefine((config, ctx) => {
    if ((config.port === undefined) === (config.listen === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: config.port === undefined ? ['port'] : ['listen'],
        message:
          config.port === undefined
            ? 'give port (connect to a server) or listen (accept clients)'
            : 'port and listen exclude each other',
        params: {
          hint: 'e.g. { type: tcp, host: 10.0.0.5, port: 9999 } or { type: tcp, listen: { port: 9999 } }',
        },
      });
    }
    if (config.format === 'csv' && config.columns === undefined && !config.header) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: 'format: csv needs the column names',
        params: { hint: 'add e.g. columns: [ts, sensor, temp], or header: true' },
      });
    }
  })
  .describe(
    'Reads lines from a TCP socket: connects to host:port (Spark’s socketTextStream) and reconnects, or listens for clients.',
  );

export type TcpReceiverConfig = z.output<typeof tcpReceiverConfigSchema>;
