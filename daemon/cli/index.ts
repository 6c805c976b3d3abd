// The CLI: argv in, exit status out. Parses arguments with node:util parseArgs against the dispatch table, runs
// the command, and prints any error as message + hint. Never exits the process itself (main.ts does).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SluiceError, exitCodeOf } from '../errors.js';
import { didYouMean } from '../config/suggest.js';
import { commands, isCommandName, type CommandSpec, type OptionValues } from './commands.js';
import { commandHelp, mainHelp } from './help.js';
import type { CliIo } from './io.js';
import { formatError } from './output.js';
import { sluiceVersion } from './version.js';

export type { CliIo } from './io.js';
export { processIo } from './io.js';

/** Runs the CLI with `argv` (without node and the script) and returns the exit status: 0, 1 or 2. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    io.stderr(formatError(error));
    return exitCodeOf(error);
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(mainHelp(sluiceVersion()));
    return 2;
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.stdout(mainHelp(sluiceVersion()));
      return 0;
    }
    io.stdout(commandHelp(topic, commandSpec(topic)));
    return 0;
  }
  if (first === '-V' || first === '--version' || first === 'version') {
    io.stdout(`sluice ${sluiceVersion()}\n`);
    return 0;
  }
  if (first.startsWith('-')) {
    throw new SluiceError('SLUICE_USAGE', `unknown option ${first}`, {
      hint: 'options go after the command, e.g. sluice validate -c config.yaml; see sluice --help',
    });
  }
  const spec = commandSpec(first);
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout(commandHelp(first, spec));
    return 0;
  }
  return spec.run(parseOptions(first, spec, rest), io);
}

function commandSpec(name: string): CommandSpec {
  if (isCommandName(name)) return commands[name];
  const suggestion = didYouMean(name, Object.keys(commands));
  throw new SluiceError('SLUICE_USAGE', `unknown command "${name}"`, {
    hint: `${suggestion === undefined ? '' : `did you mean ${suggestion}? `}commands: ${Object.keys(commands).join(', ')}; see sluice --help`,
  });
}

function parseOptions(name: string, spec: CommandSpec, args: readonly string[]): OptionValues {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [option, o] of Object.entries(spec.options)) {
    options[option] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  }
  try {
    // No option is declared `multiple`, so every value is a string or a boolean.
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false })
      .values as OptionValues;
  } catch (error) {
    // parseArgs throws TypeErrors with codes like ERR_PARSE_ARGS_UNKNOWN_OPTION and a readable message.
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    const unknown = /Unknown option '--([^'=]+)/.exec(message)?.[1];
    const suggestion = unknown === undefined ? undefined : didYouMean(unknown, Object.keys(spec.options));
    throw new SluiceError('SLUICE_USAGE', `sluice ${name}: ${lowerFirst(message.replace(/\.$/, ''))}`, {
      hint: `${suggestion === undefined ? '' : `did you mean --${suggestion}? `}usage: ${spec.usage}; see sluice ${name} --help`,
      cause: error,
    });
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
