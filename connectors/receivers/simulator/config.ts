// Config schema of the simulated-sensor receiver (`type: simulator`): the demo's input, no hardware needed.
import { z } from 'zod';
import { keyExpressionSchema } from '../../../daemon/config/common-schemas.js';
import { durationSchema } from '../../../daemon/config/units.js';

export const simulatorReceiverConfigSchema = z
  .strictObject({
    type: z.literal('simulator').describe('Receiver type.'),
    sensors: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(10)
      .describe('How many simulated sensors. Default: 10.'),
    interval: durationSchema
      .prefault('1s')
      .describe('Each sensor sends one reading per interval. Default: 1s.'),
    seed: z
      .number()
      .int()
      .default(1)
      .describe('Seed of the simulated values (same seed, same readings). Default: 1.'),
    format: z
      .literal('json')
      .default('json')
      .describe('Payloads are JSON objects { ts, temp, hum }. Default: json.'),
    columns: z.undefined().optional(),
    key: keyExpressionSchema
      .default('topicParts[1]')
      .describe(
        'CEL expression giving the record key; topics are sim/<sensor>/telemetry. Default: topicParts[1].',
      ),
    time: z.string().default('ts').describe('Payload field holding the event time. Default: ts.'),
    timeFormat: z
      .literal('epoch-ms')
      .default('epoch-ms')
      .describe('The time field is epoch ms. Default: epoch-ms.'),
  })
  .describe('Simulated climate sensors (temperature, humidity) for the demo and for trying pipelines out.');

export type SimulatorReceiverConfig = z.output<typeof simulatorReceiverConfigSchema>;
