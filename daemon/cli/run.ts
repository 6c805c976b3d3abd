// `sluice run -c FILE`: runs the gateway and its API until SIGTERM/SIGINT (finish the batch, commit, exit 0);
// SIGHUP or POST /api/v1/reload reloads the config (an invalid new config is reported and the running one kept).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createApiServer, type ApiServer } from '../api/server.js';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../config/load.js';
import type { ApiConfig, Config } from '../config/schema.js';
import { isSluiceError, SluiceError } from '../errors.js';
import { createNotifier } from '../notify.js';
import { prepareDemo } from './demo.js';
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
      `No -c FILE given: running the demo (${file}): dashboard on http://127.0.0.1:8080/, window results in ./sluice-demo/results.jsonl, alerts in ./sluice-demo/alerts.jsonl\n`,
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
  // Until the gateway runs, a stop or reload signal is held here and acted on once it does: Node's default
  // action would kill the process (SIGHUP included) in the middle of recovery, and a SIGTERM is a request to
  // finish cleanly, exit 0.
  let held: 'SIGTERM' | 'SIGINT' | 'SIGHUP' | undefined;
  const hold = (signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP') => (): void => {
    log.info({ signal }, 'signal received while starting: acted on once running');
    if (held === undefined || held === 'SIGHUP') held = signal;
  };
  const holders = { SIGTERM: hold('SIGTERM'), SIGINT: hold('SIGINT'), SIGHUP: hold('SIGHUP') } as const;
  const releaseHeld = (): void => {
    for (const [signal, holder] of Object.entries(holders)) process.off(signal, holder);
  };
  for (const [signal, holder] of Object.entries(holders)) process.on(signal, holder);
  try {
    return await runGateway();
  } finally {
    releaseHeld();
  }

  async function runGateway(): Promise<number> {
    let running = await load();
    // The demo (no -c) brings its simulated devices: see demo.ts.
    const demo = options.config === undefined ? await prepareDemo(running, log, io.env) : undefined;
    if (demo !== undefined) running = demo.config;
    let gateway = build(running);
    // Set once signals are handled; until then the API refuses reloads.
    let reload = (): Promise<Gateway> =>
      Promise.reject(new SluiceError('SLUICE_API_UNAVAILABLE', 'the gateway is still starting'));
    // Without its API the gateway still collects and forwards (a taken port must not stop the data): the failure
    // is logged with its hint, and the API is tried again on the next reload.
    const startApi = async (config: ApiConfig, shown: Gateway): Promise<ApiServer | undefined> => {
      const server = await createApiServer({ config, gateway: shown, reload: () => reload(), log });
      try {
        log.info({ url: await server.listen() }, 'api listening');
        return server;
      } catch (err) {
        await server.close();
        log.error(
          { err, hint: isSluiceError(err) ? err.hint : undefined },
          'api not started; the gateway runs without it',
        );
        return undefined;
      }
    };
    // The API comes first, so /healthz and /readyz answer while state is recovered.
    let api = await startApi(running.api, gateway);
    try {
      await gateway.start();
    } catch (err) {
      await api?.close();
      throw err;
    }
    log.info({ gateway: gateway.status().gateway }, 'running');
    const demoDevices = await demo?.start().catch((err: unknown) => {
      log.error({ err }, 'demo devices not started');
      return undefined;
    });
    // Under systemd (Type=notify): ready only now that state is recovered; the watchdog pings from here on.
    const notifier = createNotifier({ env: io.env, log });
    await notifier.ready(`running gateway ${gateway.status().gateway}`);

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
          await notifier.stopping();
          let exitCode = code;
          try {
            await demoDevices?.stop();
            await api?.close();
            await gateway.stop();
            log.info('stopped');
          } catch (err) {
            log.error({ err }, 'stopping failed');
            exitCode = 1;
          } finally {
            notifier.close();
            process.off('SIGTERM', onTerm);
            process.off('SIGINT', onInt);
            process.off('SIGHUP', onHup);
            resolve(exitCode);
          }
        });
      };
      const onTerm = (): void => {
        shutdown('SIGTERM', 0);
      };
      const onInt = (): void => {
        shutdown('SIGINT', 0);
      };
      // SIGHUP and POST /api/v1/reload; resolves with the new gateway, rejects with why the running one stays.
      reload = () =>
        new Promise<Gateway>((resolveReload, rejectReload) => {
          const refuse = (err: unknown): void => {
            rejectReload(err instanceof Error ? err : new Error(String(err)));
          };
          serially(async () => {
            let next: Config;
            try {
              next = await load();
              if (demo !== undefined) next = demo.adapt(next);
            } catch (err) {
              log.error({ err }, 'reload refused: the new config is invalid; keeping the running one');
              refuse(err);
              return;
            }
            log.info('reloading');
            await notifier.reloading();
            await gateway.stop();
            gateway = build(next);
            api?.setGateway(gateway);
            try {
              await gateway.start();
            } catch (err) {
              refuse(err);
              // A valid config can still fail to start (its state.dir unwritable or in use): go back to the one
              // that ran, rather than leave a process with no gateway (it would exit with Node's status 13).
              log.error({ err }, 'reload failed: the new config cannot start; back to the running one');
              await gateway.stop();
              gateway = build(running);
              api?.setGateway(gateway);
              try {
                await gateway.start();
              } catch (again) {
                fatal?.(again);
                return;
              }
              log.info('running');
              await notifier.ready(`running gateway ${gateway.status().gateway} (reload failed)`);
              return;
            }
            const apiChanged = !sameApi(running.api, next.api);
            running = next;
            log.info('reloaded');
            await notifier.ready(`running gateway ${gateway.status().gateway}`);
            resolveReload(gateway);
            // After the reply to POST /reload has gone out: close() waits for requests in flight.
            if (apiChanged || api === undefined) {
              serially(async () => {
                await api?.close();
                api = await startApi(running.api, gateway);
              });
            }
          });
        });
      const onHup = (): void => {
        // reload() logs why it was refused.
        reload().catch(() => undefined);
      };
      fatal = (err) => {
        log.error({ err }, 'fatal');
        shutdown('fatal', 1);
      };
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
      process.on('SIGHUP', onHup);
      releaseHeld();
      if (held === 'SIGHUP') onHup();
      else if (held !== undefined) shutdown(held, 0);
    });
  }
}

/** Whether two api sections listen alike (tokens compared without revealing them). */
function sameApi(a: ApiConfig, b: ApiConfig): boolean {
  const sameToken = a.token === undefined ? b.token === undefined : a.token.equals(b.token);
  return a.bind === b.bind && a.port === b.port && sameToken;
}
