// Device profiles as data: the serial settings, framing, format and (for Modbus) register map of a known device,
// so a receiver can say `profile: sht3x-modbus` instead of spelling them out. The zod schemas here are written
// once and shared with the serial receiver's config (an inline device is validated by the same schemas).
import { z } from 'zod';
import { durationSchema } from '../../daemon/config/units.js';
import { planReads } from '../codecs/modbus/poll.js';
import { framingSchema } from '../framing/config.js';

export const serialSettingsSchema = z
  .strictObject({
    baudRate: z
      .int()
      .positive()
      .max(4_000_000)
      .default(9600)
      .describe('Line speed, bits per second. Default: 9600.'),
    dataBits: z.literal([5, 6, 7, 8]).default(8).describe('Default: 8.'),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none').describe('Default: none.'),
    stopBits: z.literal([1, 1.5, 2]).default(1).describe('Default: 1.'),
  })
  .describe('Serial line settings (8N1 at 9600 by default).');

export type SerialSettings = z.output<typeof serialSettingsSchema>;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const registerSchema = z
  .strictObject({
    name: z
      .string()
      .regex(FIELD_NAME, {
        error: 'a register name is a field name: letters, digits and "_", not starting with a digit',
      })
      .describe('The record field the value goes to.'),
    table: z
      .enum(['holding', 'input'])
      .default('holding')
      .describe('holding (function 0x03, 4xxxx) or input (0x04, 3xxxx) registers. Default: holding.'),
    address: z
      .int()
      .min(0)
      .max(65_535)
      .describe('0-based protocol address: register 30001 or 40001 is address 0.'),
    type: z
      .enum(['uint16', 'int16', 'uint32', 'int32', 'float32'])
      .default('uint16')
      .describe('Default: uint16.'),
    wordOrder: z
      .enum(['big', 'little'])
      .default('big')
      .describe('32-bit types: big when the first register holds the high word. Default: big.'),
    byteOrder: z
      .enum(['big', 'little'])
      .default('big')
      .describe('Within a register: big when the high byte comes first. Default: big.'),
    scale: z
      .number()
      .refine(Number.isFinite)
      .default(1)
      .describe('value = raw × scale + offset. Default: 1.'),
    offset: z.number().refine(Number.isFinite).default(0).describe('Default: 0.'),
    unit: z
      .string()
      .optional()
      .describe('Unit of the value after scaling, for docs and dashboards. Default: none.'),
    description: z.string().optional().describe('What the register holds. Default: none.'),
  })
  .describe('One value read from a Modbus device.');

export type RegisterConfig = z.output<typeof registerSchema>;

/**
 * Adds an issue (at `path`) when a device's register map cannot be planned into reads or repeats a name: shared
 * by profiles and by the devices a serial receiver's config writes out.
 */
export function checkRegisterMap(
  device: { unitId: number; maxGap: number; registers: readonly RegisterConfig[] },
  ctx: z.RefinementCtx,
  path: (string | number)[],
): void {
  try {
    planReads(device.unitId, device.registers, { maxGap: device.maxGap });
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: (err as Error).message,
      params: { hint: 'check the addresses and types against the device manual' },
    });
  }
  const names = device.registers.map((r) => r.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `register name "${repeated}" is used twice`,
      params: { hint: 'give every register its own name' },
    });
  }
}

export const modbusDeviceSchema = z
  .strictObject({
    unitId: z.int().min(1).max(247).default(1).describe('Slave address, 1–247. Default: 1.'),
    pollInterval: durationSchema.prefault('10s').describe('Time between polls. Default: 10s.'),
    timeout: durationSchema.prefault('1s').describe('How long to wait for each response. Default: 1s.'),
    maxGap: z
      .int()
      .min(0)
      .max(124)
      .default(0)
      .describe(
        'Unused registers one read may span to merge neighbours (some devices refuse that). Default: 0.',
      ),
    registers: z
      .array(registerSchema)
      .min(1, { error: 'list at least one register' })
      .describe('The register map.'),
  })
  .superRefine((device, ctx) => {
    checkRegisterMap(device, ctx, ['registers']);
  })
  .describe('Modbus RTU polling: the device and its register map.');

export type ModbusDeviceConfig = z.output<typeof modbusDeviceSchema>;

export const PROFILE_FORMATS = ['json', 'csv', 'kv', 'text', 'number', 'nmea', 'modbus'] as const;

export const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    name: z.string().min(1).describe('Device name, as the manufacturer sells it.'),
    description: z.string().min(1),
    /** Where the register map and settings come from, so anyone can check them. */
    sources: z.array(z.string().min(1)).min(1),
    serial: serialSettingsSchema.prefault({}),
    framing: framingSchema,
    format: z.enum(PROFILE_FORMATS),
    modbus: modbusDeviceSchema.optional(),
  })
  .superRefine((profile, ctx) => {
    if ((profile.format === 'modbus') !== (profile.modbus !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['modbus'],
        message: 'format: modbus and a modbus block go together',
        params: { hint: profile.format === 'modbus' ? 'add modbus: { registers: [...] }' : 'remove modbus' },
      });
    }
    if (profile.format === 'modbus' && profile.framing.type !== 'inter-byte-timeout') {
      ctx.addIssue({
        code: 'custom',
        path: ['framing'],
        message: 'Modbus RTU frames end with a silence',
        params: { hint: 'use framing: { type: inter-byte-timeout }' },
      });
    }
  });

export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.output<typeof profileSchema>;
