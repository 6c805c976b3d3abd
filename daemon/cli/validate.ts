// `sluice validate -c FILE`: checks a config without starting anything. Prints `ok: <summary>` and exits 0, or
// every error and exits 2. `--json` prints the same as one JSON object, for tooling.
import { isSluiceError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/units.js';
import type { CliIo } from './io.js';

export interface ValidateOptions {
  readonly config: string;
  /** Print a JSON object instead of text. Default: false. */
  readonly json?: boolean;
}

/** One line saying what the config defines: what a person checks after editing it. */
export function summarize(config: Config): string {
  const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const receivers = Object.entries(config.receivers).map(([id, r]) => `${id}: ${r.type}`);
  const pipelines = Object.entries(config.pipelines).map(([id, p]) => {
    const w = p.window;
    const every = w.slide === w.length ? '' : ` every ${formatDuration(w.slide)}`;
    return `${id}: ${formatDuration(w.length)}${every} ${w.time} time → ${p.to.join(', ')}`;
  });
  const sinks = Object.entries(config.sinks).map(([id, s]) => `${id}: ${s.type}`);
  const list = (items: string[]): string => (items.length === 0 ? '' : ` (${items.join('; ')})`);
  return [
    `gateway ${config.gateway.id}`,
    `${count(receivers.length, 'receiver')}${list(receivers)}`,
    `${count(pipelines.length, 'pipeline')}${list(pipelines)}`,
    `${count(sinks.length, 'sink')}${list(sinks)}`,
  ].join(', ');
}

export async function validateCommand(options: ValidateOptions, io: CliIo): Promise<number> {
  const path = options.config;
  try {
    const config = await loadConfig(path, { env: io.env, cwd: io.cwd });
    const summary = summarize(config);
    io.stdout(
      options.json === true ? `${JSON.stringify({ ok: true, file: path, summary })}\n` : `ok: ${summary}\n`,
    );
    return 0;
  } catch (error) {
    if (options.json === true && isSluiceError(error)) {
      const body = {
        ok: false,
        file: path,
        code: error.code,
        message: error.message,
        hint: error.hint,
        issues: error.issues,
      };
      io.stdout(`${JSON.stringify(body)}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
