// `sluice run -c FILE`: runs the gateway until SIGTERM/SIGINT (finish the batch, commit, exit 0); SIGHUP
// reloads the config (an invalid new config is reported and the running one kept).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SluiceError } from '../errors.js';
import type { CliIo } from './io.js';

export interface RunOptions {
  /** The config file; default: the embedded demo (examples/demo.yaml: simulated sensors, no outside services). */
  config?: string;
}

/** The demo config shipped with the package. */
export function demoConfigPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new SluiceError('SLUICE_CONFIG_NOT_FOUND', 'the embedded demo config is missing');
    dir = parent;
  }
  return path.join(dir, 'examples', 'demo.yaml');
}

export async function runCommand(options: RunOptions, io: CliIo): Promise<number> {
  const file = options.config ?? demoConfigPath();
  if (options.config === undefined) {
    io.stderr(
      `No -c FILE given: running the demo (${file}); window results go to ./sluice-demo/results.jsonl\n`,
    );
  }
  const load = (): Promise<Config> => loadConfig(file, { env: io.env, cwd: io.cwd });
  const log = pino({ level: io.env.SLUICE_LOG_LEVEL ?? 'info', base: { pid: process.pid } });
  let fatal: ((err: unknown) => void) | undefined;
  const build = (config: Config): Gateway =>
    createGateway(config, {
      log,
      driver: {
        onFatal: (err) => {
          fatal?.(err);
        },
      },
    });
  let running = await load();
  let gateway = build(running);
  await gateway.start();
  log.info({ gateway: gateway.status().gateway }, 'running');

  return new Promise<number>((resolve) => {
    let busy: Promise<void> = Promise.resolve();
    const serially = (job: () => Promise<void>): void => {
      busy = busy.then(job).catch((err: unknown) => {
        log.error({ err }, 'failed');
      });
    };
    const shutdown = (signal: string, code: number): void => {
      serially(async () => {
        log.info({ signal }, 'stopping');
        await gateway.stop();
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        process.off('SIGHUP', onHup);
        log.info('stopped');
        resolve(code);
      });
    };
    const onTerm = (): void => {
      shutdown('SIGTERM', 0);
    };
    const onInt = (): void => {
      shutdown('SIGINT', 0);
    };
    const onHup = (): void => {
      serially(async () => {
        let next: Config;
        try {
          next = await load();
        } catch (err) {
          log.error({ err }, 'reload refused: the new config is invalid; keeping the running one');
          return;
        }
        log.info('reloading');
        await gateway.stop();
        gateway = build(next);
        try {
          await gateway.start();
        } catch (err) {
          // A valid config can still fail to start (its state.dir unwritable or in use): go back to the one
          // that ran, rather than leave a process with no gateway (it would exit with Node's status 13).
          log.error({ err }, 'reload failed: the new config cannot start; back to the running one');
          await gateway.stop();
          gateway = build(running);
          try {
            await gateway.start();
          } catch (again) {
            fatal?.(again);
            return;
          }
          log.info('running');
          return;
        }
        running = next;
        log.info('reloaded');
      });
    };
    fatal = (err) => {
      log.error({ err }, 'fatal');
      shutdown('fatal', 1);
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
  });
}
