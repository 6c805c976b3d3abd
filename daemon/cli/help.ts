// Help text, generated from the dispatch table so it cannot drift from what the CLI accepts.
import { commands, type CommandSpec, type OptionSpec } from './commands.js';

const EXIT_STATUS = 'Exit status: 0 ok, 1 runtime failure, 2 usage or config error.';

function optionLabel(name: string, option: OptionSpec): string {
  const short = option.short === undefined ? '    ' : `-${option.short}, `;
  return `${short}--${name}${option.placeholder === undefined ? '' : ` ${option.placeholder}`}`;
}

function columns(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

/** `sluice --help`. */
export function mainHelp(version: string): string {
  const commandRows = Object.entries(commands).map(([name, spec]): [string, string] => [name, spec.summary]);
  commandRows.push(['help [COMMAND]', 'Show help for a command.']);
  return [
    `sluice ${version}: stream analytics for IoT edge gateways`,
    '',
    'Usage: sluice <command> [options]',
    '',
    'Commands:',
    columns(commandRows),
    '',
    'Options:',
    columns([
      ['-h, --help', 'Show help (also: sluice <command> --help).'],
      ['-V, --version', 'Print the version.'],
    ]),
    '',
    EXIT_STATUS,
    '',
  ].join('\n');
}

/** `sluice <command> --help`. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const optionRows = Object.entries(spec.options).map(([option, o]): [string, string] => [
    optionLabel(option, o),
    o.description,
  ]);
  optionRows.push(['-h, --help', 'Show this help.']);
  return [
    `sluice ${name}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options:',
    columns(optionRows),
    '',
    EXIT_STATUS,
    '',
  ].join('\n');
}
