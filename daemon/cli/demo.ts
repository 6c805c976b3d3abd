// The demo's devices, started by `sluice run` without -c (and so by `npm run demo`) next to the gateway that
// examples/demo.yaml describes: simulated MQTT sensors publishing to its embedded broker, and a simulated serial
// sensor on a pty pair from socat. Without socat the serial sensor is left out, with a line in the log saying so.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../connectors/types.js';
import type { Config } from '../config/schema.js';

/** The demo's serial sensor: two CSV sensors on one line, two readings a second. */
const SERIAL_SENSORS = 2;
const SERIAL_RATE = 2;

export interface DemoDevices {
  stop(): Promise<void>;
}

export interface Demo {
  /** The config to run: the demo's, without its serial receiver when socat is missing. */
  config: Config;
  /** The same changes, for the config a reload (SIGHUP) reads again. */
  adapt(config: Config): Config;
  /** Starts the simulated devices; call once the gateway runs (its broker listens). */
  start(): Promise<DemoDevices>;
}

/** The first executable called name on PATH. */
function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Reads the demo config's devices: the embedded broker's URL and the serial receiver's path. */
function devices(config: Config): { mqttUrl?: string; serial?: { id: string; path: string } } {
  let mqttUrl: string | undefined;
  let serial: { id: string; path: string } | undefined;
  for (const [id, rc] of Object.entries(config.receivers)) {
    if (rc.type === 'mqtt' && rc.embedded !== undefined) mqttUrl = rc.url;
    if (rc.type === 'serial') serial = { id, path: rc.path };
  }
  return { ...(mqttUrl === undefined ? {} : { mqttUrl }), ...(serial === undefined ? {} : { serial }) };
}

/** The config without one receiver (and without it in every pipeline's and alert's sources). */
function withoutReceiver(config: Config, id: string): Config {
  const receivers = Object.fromEntries(Object.entries(config.receivers).filter(([rid]) => rid !== id));
  const pipelines = Object.fromEntries(
    Object.entries(config.pipelines).map(([pid, p]) => [pid, { ...p, from: p.from.filter((f) => f !== id) }]),
  );
  const alerts = Object.fromEntries(Object.entries(config.alerts).filter(([, a]) => a.from !== id));
  return { ...config, receivers, pipelines, alerts };
}

/** Plugs in the pty pair (socat) the serial receiver reads, before the gateway starts. */
async function startPty(socat: string, devPath: string): Promise<{ simPath: string; stop(): Promise<void> }> {
  const simPath = `${devPath}-sim`;
  await mkdir(path.dirname(devPath), { recursive: true });
  await rm(devPath, { force: true });
  await rm(simPath, { force: true });
  const child: ChildProcess = spawn(
    socat,
    [`pty,raw,echo=0,link=${devPath}`, `pty,raw,echo=0,link=${simPath}`],
    { stdio: 'ignore' },
  );
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ready = await Promise.all([stat(devPath), stat(simPath)]).then(
      () => true,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`socat did not create the pty pair ${devPath}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    simPath,
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/**
 * Prepares the demo: plugs in the serial sensor's pty pair when socat is there, or drops the serial receiver
 * (logging why). `SLUICE_DEMO_MQTT_PORT` and `SLUICE_DEMO_API_PORT` move the demo off ports 1884 and 8080.
 */
export async function prepareDemo(loaded: Config, log: Logger, env: NodeJS.ProcessEnv): Promise<Demo> {
  const { mqttUrl, serial } = devices(withPorts(loaded, env));
  let pty: { simPath: string; stop(): Promise<void> } | undefined;
  const socat = serial === undefined ? undefined : which('socat', env);
  if (serial !== undefined) {
    if (socat === undefined) {
      log.warn(
        { receiver: serial.id, hint: 'apt-get install socat' },
        'socat not found: the demo runs without its simulated serial sensor',
      );
    } else {
      pty = await startPty(socat, path.resolve(serial.path));
    }
  }
  const adapt = (config: Config): Config => {
    const moved = withPorts(config, env);
    return serial !== undefined && socat === undefined ? withoutReceiver(moved, serial.id) : moved;
  };
  const config = adapt(loaded);
  const start = async (): Promise<DemoDevices> => {
    const stops: (() => Promise<void>)[] = [];
    if (pty !== undefined) {
      const ptyPair = pty;
      stops.push(() => ptyPair.stop());
      const { LineSensor } = await import('../../hardware/simulators/line-sensor.js');
      const { openSimulatorPort, writeAndDrain, writeLines, closeSimulatorPort } =
        await import('../../hardware/simulators/stream.js');
      const port = await openSimulatorPort(ptyPair.simPath, 9600);
      const sensor = new LineSensor({ format: 'csv', sensors: SERIAL_SENSORS, prefix: 'serial' });
      const stopWriting = new AbortController();
      const header = sensor.header();
      const writing = (async () => {
        if (header !== undefined) await writeAndDrain(port, `${header}\n`);
        await writeLines(port, () => sensor.nextLine(), { rate: SERIAL_RATE, signal: stopWriting.signal });
      })().catch((err: unknown) => {
        log.warn({ err }, 'demo serial sensor stopped');
      });
      stops.unshift(async () => {
        stopWriting.abort();
        await writing;
        await closeSimulatorPort(port);
      });
      log.info({ path: serial?.path }, 'demo serial sensor writing CSV lines');
    }
    if (mqttUrl !== undefined) {
      const { startMqttSensors } = await import('../../hardware/simulators/mqtt-sensors.js');
      const sensors = await startMqttSensors({ url: mqttUrl });
      stops.unshift(() => sensors.stop());
      log.info({ url: mqttUrl }, 'demo mqtt sensors publishing');
    }
    return {
      stop: async () => {
        for (const stop of stops) await stop().catch(() => undefined);
      },
    };
  };
  return { config, adapt, start };
}

/** Moves the embedded broker and the API to the ports the environment names, if it does. */
function withPorts(config: Config, env: NodeJS.ProcessEnv): Config {
  // The simulated sensors need the broker's port before it listens: 0 (any free port) will not do for it.
  const mqttPort = port(env.SLUICE_DEMO_MQTT_PORT, 1);
  const apiPort = port(env.SLUICE_DEMO_API_PORT, 0);
  const receivers = Object.fromEntries(
    Object.entries(config.receivers).map(([id, rc]) =>
      rc.type === 'mqtt' && rc.embedded !== undefined && mqttPort !== undefined
        ? [
            id,
            {
              ...rc,
              embedded: { ...rc.embedded, port: mqttPort },
              url: `mqtt://${rc.embedded.host}:${String(mqttPort)}`,
            },
          ]
        : [id, rc],
    ),
  );
  return { ...config, receivers, api: apiPort === undefined ? config.api : { ...config.api, port: apiPort } };
}

function port(text: string | undefined, min: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > 65_535) {
    throw new Error(`not a port number from ${String(min)} to 65535: ${text}`);
  }
  return n;
}
