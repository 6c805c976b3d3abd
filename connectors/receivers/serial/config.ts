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
import { framingSchema, type FramingConfig } from '../../../hardware/framing/config.js';
import {
  checkRegisterMap,
  findProfile,
  profileIdSchema,
  registerSchema,
  type ModbusDeviceConfig,
  type SerialSettings,
} from '../../../hardware/profiles/index.js';
import type { ModbusBusDevice } from './modbus-poller.js';

export const SERIAL_FORMATS = ['json', 'csv', 'kv', 'text', 'number', 'nmea', 'modbus'] as const;

const DEFAULT_SETTINGS: SerialSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
const DEFAULT_MODBUS = { unitId: 1, pollInterval: 10_000, timeout: 1_000, maxGap: 0 };

const unitIdSchema = z.int().min(1).max(247);
const maxGapSchema = z.int().min(0).max(124);
const registersSchema = z.array(registerSchema).min(1, { error: 'list at least one register' });

/** One device of a `modbus.devices` list: several unit ids on one bus. */
const busDeviceSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]+$/, { error: 'a device name is letters, digits and _ . : -' })
      .describe('Names the device: its records carry it as the field `device` (the default key).'),
    unitId: unitIdSchema.describe('Slave address, 1–247.'),
    profile: profileIdSchema
      .optional()
      .describe("A Modbus device profile for this device's register map and timing. Default: none."),
    pollInterval: durationSchema
      .optional()
      .describe("Time between polls. Default: the device profile's, else the modbus block's, else 10s."),
    timeout: durationSchema
      .optional()
      .describe('How long to wait for each response. Default: as pollInterval, else 1s.'),
    maxGap: maxGapSchema.optional().describe('Default: as pollInterval, else 0.'),
    registers: registersSchema
      .optional()
      .describe(
        "The register map. Default: the device profile's, else the modbus block's or receiver profile's.",
      ),
  })
  .describe('One Modbus device on a shared bus.');

/** The `modbus:` block: every key optional, so it can override a profile's; without a profile, registers are needed. */
const modbusOverrideSchema = z
  .strictObject({
    unitId: unitIdSchema.optional().describe("Slave address, 1–247. Default: the profile's, else 1."),
    pollInterval: durationSchema.optional().describe("Time between polls. Default: the profile's, else 10s."),
    timeout: durationSchema
      .optional()
      .describe("How long to wait for each response. Default: the profile's, else 1s."),
    maxGap: maxGapSchema
      .optional()
      .describe(
        "Unused registers one read may span to merge neighbours (some devices refuse that). Default: the profile's, else 0.",
      ),
    registers: registersSchema
      .optional()
      .describe("The register map. Default: the profile's (required without a profile)."),
    devices: z
      .array(busDeviceSchema)
      .min(1, { error: 'list at least one device' })
      .optional()
      .describe(
        'Several devices (unit ids) on this bus, polled in turn, one request at a time; each poll is one record with the field device. The keys above are then defaults for every device. Default: one device, unitId.',
      ),
  })
  .describe('Modbus RTU polling (format: modbus): the slave (or slaves) and the register map.');

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

/** The config with the profile applied; `modbusDevices` is set exactly when format is modbus. */
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
  /**
   * format: modbus: the devices polled on this bus, resolved: one without a name (`modbus.unitId`), or the named
   * `modbus.devices`.
   */
  modbusDevices?: ModbusBusDevice[];
}

/** Where a device's settings can come from (its own keys, a profile, the modbus block). */
type DeviceSource = { [K in keyof ModbusDeviceConfig]?: ModbusDeviceConfig[K] | undefined };

/** Later sources fill what earlier ones leave out. */
function pick<K extends keyof ModbusDeviceConfig>(
  key: K,
  ...sources: (DeviceSource | undefined)[]
): ModbusDeviceConfig[K] | undefined {
  for (const source of sources) if (source?.[key] !== undefined) return source[key];
  return undefined;
}

/** The devices the receiver polls (undefined when one lacks a register map); each setting from the nearest source. */
function resolveModbus(input: SerialInput): ModbusBusDevice[] | undefined {
  const base = input.profile === undefined ? undefined : findProfile(input.profile)?.modbus;
  const over = input.modbus;
  const entries = over?.devices?.map((d) => ({
    own: d,
    profile: d.profile === undefined ? undefined : findProfile(d.profile)?.modbus,
  })) ?? [{ own: {} as DeviceSource & { name?: string }, profile: undefined }];
  const devices: ModbusBusDevice[] = [];
  for (const { own, profile } of entries) {
    const registers = pick('registers', own, profile, over, base);
    if (registers === undefined) return undefined;
    devices.push({
      ...('name' in own ? { name: own.name } : {}),
      unitId: pick('unitId', own, profile, over, base) ?? DEFAULT_MODBUS.unitId,
      pollInterval: pick('pollInterval', own, profile, over, base) ?? DEFAULT_MODBUS.pollInterval,
      timeout: pick('timeout', own, profile, over, base) ?? DEFAULT_MODBUS.timeout,
      maxGap: pick('maxGap', own, profile, over, base) ?? DEFAULT_MODBUS.maxGap,
      registers,
    });
  }
  return devices;
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
    key: input.key ?? (input.modbus?.devices === undefined ? 'receiver' : 'device'),
    ...(input.time === undefined ? {} : { time: input.time }),
    timeFormat: input.timeFormat,
    ...(input.silence === undefined ? {} : { silence: input.silence }),
    ...(modbus === undefined ? {} : { modbusDevices: modbus }),
  };
}

function checkModbus(input: SerialInput, ctx: z.RefinementCtx): void {
  const devices = resolveModbus(input);
  const listed = input.modbus?.devices;
  if (devices === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: listed === undefined ? ['modbus'] : ['modbus', 'devices'],
      message:
        listed === undefined
          ? 'format: modbus needs a register map'
          : 'a device in modbus.devices has no register map',
      params: {
        hint: 'add modbus: { unitId: 1, registers: [{ name: temp, table: input, address: 1, type: int16, scale: 0.1 }] }, or a profile such as sht3x-modbus',
      },
    });
    return;
  }
  if (listed === undefined) {
    const [device] = devices;
    if (device !== undefined) checkRegisterMap(device, ctx, ['modbus', 'registers']);
    return;
  }
  if (input.modbus?.unitId !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['modbus', 'unitId'],
      message: 'with modbus.devices, each device has its own unitId',
      params: { hint: 'remove modbus.unitId and give it in each device' },
    });
  }
  devices.forEach((device, i) => {
    const own = listed[i];
    const path = ['modbus', 'devices', i];
    if (own?.profile !== undefined && findProfile(own.profile)?.modbus === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'profile'],
        message: `profile ${own.profile} is not a Modbus device`,
        params: { hint: 'use a Modbus profile (sht3x-modbus, sdm120-modbus) or write registers' },
      });
    }
    if (listed.findIndex((d) => d.name === own?.name) !== i) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'name'],
        message: `device name "${String(own?.name)}" is used twice`,
        params: { hint: 'give every device its own name: it keys its records' },
      });
    }
    checkRegisterMap(device, ctx, [...path, 'registers']);
    if (device.registers.some((r) => r.name === 'device')) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'registers'],
        message: 'a register named "device" would hide the device name of the record',
        params: { hint: 'rename the register' },
      });
    }
  });
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
    if (format === 'modbus') checkModbus(input, ctx);
  })
  // Resolved in place, so the schema stays a strict object (the registry reads its shape); the parsed value is
  // a SerialReceiverConfig.
  .overwrite(resolveSerialConfig);
