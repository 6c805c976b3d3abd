// Config schema of the serial receiver (`type: serial`), written once: type, validation, JSON Schema and docs.
// A `profile:` fills the serial settings, framing, format and register map of a known device; keys written
// next to it override the profile's. The parsed value is resolved (a SerialReceiverConfig): every setting is
// there, whatever its source.
import { z } from 'zod';
import {
  keyExpressionSchema,
  timeFieldSchema,
  timeFormatSchema,
} from '../../../daemon/config/common-schemas.js';
import { durationSchema } from '../../../daemon/config/units.js';
import { planReads } from '../../../hardware/codecs/modbus/poll.js';
import { framingSchema, type FramingConfig } from '../../../hardware/framing/config.js';
import {
  findProfile,
  profileIdSchema,
  registerSchema,
  type ModbusDeviceConfig,
  type SerialSettings,
} from '../../../hardware/profiles/index.js';

export const SERIAL_FORMATS = ['json', 'csv', 'kv', 'text', 'number', 'nmea', 'modbus'] as const;

const DEFAULT_SETTINGS: SerialSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
const DEFAULT_MODBUS = { unitId: 1, pollInterval: 10_000, timeout: 1_000, maxGap: 0 };

/** The `modbus:` block: every key optional, so it can override a profile's; without a profile, registers are needed. */
const modbusOverrideSchema = z
  .strictObject({
    unitId: z
      .int()
      .min(1)
      .max(247)
      .optional()
      .describe("Slave address, 1–247. Default: the profile's, else 1."),
    pollInterval: durationSchema.optional().describe("Time between polls. Default: the profile's, else 10s."),
    timeout: durationSchema
      .optional()
      .describe("How long to wait for each response. Default: the profile's, else 1s."),
    maxGap: z
      .int()
      .min(0)
      .max(124)
      .optional()
      .describe(
        "Unused registers one read may span to merge neighbours (some devices refuse that). Default: the profile's, else 0.",
      ),
    registers: z
      .array(registerSchema)
      .min(1, { error: 'list at least one register' })
      .optional()
      .describe("The register map. Default: the profile's (required without a profile)."),
  })
  .describe('Modbus RTU polling (format: modbus): the slave and its register map.');

const serialInputSchema = z
  .strictObject({
    type: z.literal('serial').describe('Receiver type.'),
    path: z
      .string()
      .min(1)
      .describe(
        'The serial device; prefer the stable /dev/serial/by-id/… path of a USB adapter (see `sluice ports`), or /dev/ttyUSB0, /dev/ttyAMA0, /dev/serial0.',
      )
      .meta({ examples: ['/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0'] }),
    profile: profileIdSchema
      .optional()
      .describe('A shipped device profile (sht3x-modbus, sdm120-modbus, nmea-gps). Default: none.'),
    baudRate: z
      .int()
      .positive()
      .max(4_000_000)
      .optional()
      .describe("Line speed, bits per second. Default: the profile's, else 9600."),
    dataBits: z.literal([5, 6, 7, 8]).optional().describe("Default: the profile's, else 8."),
    parity: z
      .enum(['none', 'even', 'odd', 'mark', 'space'])
      .optional()
      .describe("Default: the profile's, else none."),
    stopBits: z.literal([1, 1.5, 2]).optional().describe("Default: the profile's, else 1."),
    rtscts: z.boolean().default(false).describe('Hardware flow control (RTS/CTS). Default: false.'),
    framing: framingSchema
      .optional()
      .describe(
        "How the byte stream is cut into frames (not used by format: modbus, which frames responses itself). Default: the profile's, else { type: line }.",
      ),
    format: z
      .enum(SERIAL_FORMATS)
      .optional()
      .describe(
        "What a frame holds: json, csv, kv (key=value pairs), text, number, nmea (NMEA 0183), or modbus (polled, see modbus). Default: the profile's, else json.",
      ),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('format: csv: the column names, in order (or header: true). Default: none.'),
    fields: z.array(z.string().min(1)).min(1).optional().describe('Another name for columns. Default: none.'),
    header: z
      .boolean()
      .default(false)
      .describe(
        'format: csv: the first line names the columns (it gives no record; a repeated header is skipped). Default: false.',
      ),
    key: keyExpressionSchema
      .optional()
      .describe('CEL expression giving the record key, e.g. sensor (a field). Default: the receiver id.'),
    time: timeFieldSchema,
    timeFormat: timeFormatSchema,
    silence: durationSchema
      .optional()
      .describe(
        'A port that sends nothing for this long counts as unplugged and is reopened (for devices that send periodically). Default: none (never).',
      ),
    modbus: modbusOverrideSchema.optional(),
  })
  .describe(
    'Reads a serial port (USB adapter, UART): framed lines, CSV, key=value, NMEA 0183, or Modbus RTU polling; reopens the port when the device comes back.',
  );

type SerialInput = z.output<typeof serialInputSchema>;

/** The config with the profile applied; `modbus` is set exactly when format is modbus. */
export interface SerialReceiverConfig extends SerialSettings {
  type: 'serial';
  path: string;
  profile?: string;
  rtscts: boolean;
  framing: FramingConfig;
  format: (typeof SERIAL_FORMATS)[number];
  columns?: string[];
  header: boolean;
  key: string;
  time?: string;
  timeFormat: SerialInput['timeFormat'];
  silence?: number;
  modbus?: ModbusDeviceConfig;
}

function resolveModbus(input: SerialInput): ModbusDeviceConfig | undefined {
  const base = input.profile === undefined ? undefined : findProfile(input.profile)?.modbus;
  const over = input.modbus ?? {};
  const registers = over.registers ?? base?.registers;
  if (registers === undefined) return undefined;
  return {
    unitId: over.unitId ?? base?.unitId ?? DEFAULT_MODBUS.unitId,
    pollInterval: over.pollInterval ?? base?.pollInterval ?? DEFAULT_MODBUS.pollInterval,
    timeout: over.timeout ?? base?.timeout ?? DEFAULT_MODBUS.timeout,
    maxGap: over.maxGap ?? base?.maxGap ?? DEFAULT_MODBUS.maxGap,
    registers,
  };
}

/** Applies the profile and the defaults to a validated input. */
export function resolveSerialConfig(input: SerialInput): SerialReceiverConfig {
  const profile = input.profile === undefined ? undefined : findProfile(input.profile);
  const settings = profile?.serial ?? DEFAULT_SETTINGS;
  const format = input.format ?? profile?.format ?? 'json';
  const columns = input.columns ?? input.fields;
  const modbus = format === 'modbus' ? resolveModbus(input) : undefined;
  return {
    type: 'serial',
    path: input.path,
    ...(input.profile === undefined ? {} : { profile: input.profile }),
    baudRate: input.baudRate ?? settings.baudRate,
    dataBits: input.dataBits ?? settings.dataBits,
    parity: input.parity ?? settings.parity,
    stopBits: input.stopBits ?? settings.stopBits,
    rtscts: input.rtscts,
    framing: input.framing ?? profile?.framing ?? { type: 'line', eol: 'auto', skipEmpty: true },
    format,
    ...(columns === undefined ? {} : { columns }),
    header: input.header,
    key: input.key ?? 'receiver',
    ...(input.time === undefined ? {} : { time: input.time }),
    timeFormat: input.timeFormat,
    ...(input.silence === undefined ? {} : { silence: input.silence }),
    ...(modbus === undefined ? {} : { modbus }),
  };
}

export const serialReceiverConfigSchema = serialInputSchema
  .superRefine((input, ctx) => {
    const format =
      input.format ?? (input.profile === undefined ? 'json' : findProfile(input.profile)?.format);
    if (input.columns !== undefined && input.fields !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['fields'],
        message: 'columns and fields are the same setting; give one',
        params: { hint: 'remove fields and keep columns' },
      });
    }
    if (format === 'csv' && input.columns === undefined && input.fields === undefined && !input.header) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: 'format: csv needs the column names',
        params: { hint: 'add e.g. columns: [ts, sensor, temp], or header: true when the device prints one' },
      });
    }
    if (format !== 'modbus' && input.modbus !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['modbus'],
        message: 'a modbus block needs format: modbus',
        params: { hint: 'add format: modbus, or remove modbus' },
      });
    }
    if (format === 'modbus') {
      const device = resolveModbus(input);
      if (device === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['modbus'],
          message: 'format: modbus needs a register map',
          params: {
            hint: 'add modbus: { unitId: 1, registers: [{ name: temp, table: input, address: 1, type: int16, scale: 0.1 }] }, or a profile such as sht3x-modbus',
          },
        });
        return;
      }
      try {
        planReads(device.unitId, device.registers, { maxGap: device.maxGap });
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['modbus', 'registers'],
          message: (err as Error).message,
          params: { hint: 'check the addresses and types against the device manual' },
        });
      }
      const names = device.registers.map((r) => r.name);
      const repeated = names.find((n, i) => names.indexOf(n) !== i);
      if (repeated !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['modbus', 'registers'],
          message: `register name "${repeated}" is used twice`,
          params: { hint: 'give every register its own name' },
        });
      }
    }
  })
  // Resolved in place, so the schema stays a strict object (the registry reads its shape); the parsed value is
  // a SerialReceiverConfig.
  .overwrite(resolveSerialConfig);
