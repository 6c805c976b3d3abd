// Config schema of the TCP receiver (`type: tcp`), written once: type, validation, JSON Schema and docs.
import { z } from 'zod';
import { durationSchema } from '../../../daemon/config/units.js';
import { checkCsvColumns, lineRecordShape } from '../line-config.js';

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
    connectTimeout: durationSchema
      .prefault('10s')
      .describe(
        'Client mode: how long a connection attempt may take before it counts as failed. Default: 10s.',
      ),
    ...lineRecordShape({
      keyDefault: 'the topic (host:port of the peer)',
      header: 'the first line names the columns.',
    }),
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
    checkCsvColumns(config, ctx);
  })
  .describe(
    'Reads lines from a TCP socket: connects to host:port (Spark’s socketTextStream) and reconnects, or listens for clients.',
  );

export type TcpReceiverConfig = z.output<typeof tcpReceiverConfigSchema>;
