// The CLI's dispatch table: every command with its options, usage and handler. Help text and argument parsing
// are derived from it, so adding a command (e.g. the real `run`) means adding one entry here.
import { SluiceError } from '../errors.js';
import { configJsonSchema, schemaTargets, type SchemaTarget } from '../config/json-schema.js';
import type { CliIo } from './io.js';
import { repairCommand } from './repair.js';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Shown in help after the option, e.g. FILE. */
  readonly placeholder?: string;
  readonly description: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface CommandSpec {
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly run: (values: OptionValues, io: CliIo) => Promise<number>;
}

const configOption: OptionSpec = {
  type: 'string',
  short: 'c',
  placeholder: 'FILE',
  description: 'The config file (YAML).',
};

/** A string option the command cannot do without. */
function required(values: OptionValues, name: string, usage: string): string {
  const value = values[name];
  if (typeof value === 'string' && value !== '') return value;
  throw new SluiceError('SLUICE_USAGE', `missing --${name}`, { hint: `usage: ${usage}` });
}

export const commands = {
  run: {
    summary:
      'Run the gateway from a config file (without -c: the demo, simulated sensors, no services needed).',
    usage: 'sluice run [-c FILE]',
    options: { config: configOption },
    run: (values, io) => runCommand(typeof values.config === 'string' ? { config: values.config } : {}, io),
  },
  validate: {
    summary: 'Check a config file: prints "ok: <summary>" (exit 0) or every error with its fix (exit 2).',
    usage: 'sluice validate -c FILE [--json]',
    options: {
      config: configOption,
      json: { type: 'boolean', description: 'Print the result as one JSON object (for tooling).' },
    },
    run: (values, io) =>
      validateCommand(
        { config: required(values, 'config', 'sluice validate -c FILE'), json: values.json === true },
        io,
      ),
  },
  schema: {
    summary: 'Print the JSON Schema of the config file, for editors (YAML language server).',
    usage: `sluice schema [--target ${schemaTargets.join('|')}]`,
    options: {
      target: {
        type: 'string',
        placeholder: 'DIALECT',
        description: `JSON Schema dialect: ${schemaTargets.join(' or ')}. Default: draft-07.`,
      },
    },
    run: (values, io) => {
      const target = values.target ?? 'draft-07';
      if (!schemaTargets.includes(target as SchemaTarget)) {
        throw new SluiceError('SLUICE_USAGE', `unknown --target ${String(target)}`, {
          hint: `use ${schemaTargets.join(' or ')}`,
        });
      }
      io.stdout(`${JSON.stringify(configJsonSchema(target as SchemaTarget), null, 2)}\n`);
      return Promise.resolve(0);
    },
  },
  repair: {
    summary:
      'Rebuild a damaged state store (daemon stopped): keeps a copy, prints what could not be recovered.',
    usage: 'sluice repair -c FILE',
    options: { config: configOption },
    run: (values, io) => repairCommand({ config: required(values, 'config', 'sluice repair -c FILE') }, io),
  },
  ports: {
    summary: 'List serial ports with their USB vendor/product ids and /dev/serial/by-id paths (for `path:`).',
    usage: 'sluice ports [--json]',
    options: { json: { type: 'boolean', description: 'Print the ports as a JSON array.' } },
    run: async (values, io) => {
      const { formatPorts, listPorts } = await import('../../hardware/discovery/index.js');
      const ports = await listPorts();
      io.stdout(values.json === true ? `${JSON.stringify(ports, null, 2)}\n` : formatPorts(ports));
      return 0;
    },
  },
} as const satisfies Readonly<Record<string, CommandSpec>>;

export type CommandName = keyof typeof commands;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}
