// A real Mosquitto broker for integration tests: one per test file, on a free port, with its own config and
// persistence directory, so parallel test files never share a broker and a restart keeps persistent sessions.
// A missing mosquitto fails the run with the command that installs it (tests never skip silently).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';

const INSTALL_HINT = 'apt-get install mosquitto mosquitto-clients';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;

export interface MosquittoOptions {
  /**
   * Contents of an ACL file (Mosquitto `acl_file` syntax; lines before any `user` apply to anonymous clients).
   * Default: none, every client may publish and subscribe to every topic.
   */
  acl?: string;
  /** Mosquitto's `max_inflight_messages`: unacknowledged QoS 1/2 messages per client. Default: 20. */
  maxInflightMessages?: number;
  /**
   * Log every packet (Mosquitto's `log_type debug`): each PUBLISH in and out with its DUP flag, QoS and packet id,
   * for publishTally() in broker-log.ts. Default: false.
   */
  logPackets?: boolean;
  /**
   * Serve MQTT over TLS (mqtts://) with these PEM files; with `clientCertFile`/`clientKeyFile` the broker also
   * requires a client certificate signed by `caFile`, and mosquitto_pub presents them. Default: plain MQTT.
   */
  tls?: {
    caFile: string;
    certFile: string;
    keyFile: string;
    clientCertFile?: string;
    clientKeyFile?: string;
  };
  /** Further lines for mosquitto.conf. Default: none. */
  extraConfig?: readonly string[];
}

export interface PublishOptions {
  /** Default: 0. */
  qos?: 0 | 1 | 2;
  /** MQTT protocol of the publisher: 4 (3.1.1) or 5. Default: 4. */
  protocolVersion?: 4 | 5;
  /** Default: false. */
  retain?: boolean;
}

export interface Mosquitto {
  /** mqtt://127.0.0.1:<port>, or mqtts:// with the tls option */
  readonly url: string;
  readonly port: number;
  /** The broker's directory: mosquitto.conf, the persistence database, mosquitto.log. */
  readonly dir: string;
  /** Stops the broker with SIGTERM (it writes its persistence database on the way out) and waits for it. */
  stop(): Promise<void>;
  /** Starts it again on the same port after stop(), and waits until it accepts connections. */
  start(): Promise<void>;
  /** stop() then start(): persistent sessions and their queued QoS 1/2 messages survive. */
  restart(): Promise<void>;
  /** Freezes the broker (SIGSTOP): connections stay open, nothing is read or acknowledged until resume(). */
  pause(): void;
  /** Lets a paused broker go on (SIGCONT). */
  resume(): void;
  /** Publishes one message with mosquitto_pub; resolves once mosquitto_pub exited (for QoS 1/2: acknowledged). */
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  /** Publishes each line as one message with `mosquitto_pub -l` (one connection for all of them). */
  publishLines(topic: string, lines: readonly string[], options?: PublishOptions): Promise<void>;
  /** The broker's log so far (for assertions and for failure messages). */
  log(): Promise<string>;
  /** Stops the broker and removes its directory. Call it in afterAll. */
  close(): Promise<void>;
}

/** Finds an executable on PATH (and in the sbin directories, where Debian puts mosquitto). */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The path of an executable the tests need; throws with the install command when it is missing. */
export function requireExecutable(name: string, installHint = INSTALL_HINT): string {
  const path = which(name);
  if (path === undefined) {
    throw new Error(`${name} is not installed; the MQTT integration tests need it: ${installHint}`);
  }
  return path;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; polls, gives up after timeoutMs. */
async function waitForPort(port: number, timeoutMs: number, gaveUp: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = gaveUp();
    if (reason !== undefined) throw new Error(reason);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (accepted) return;
    if (Date.now() > deadline)
      throw new Error(`nothing accepted connections on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function configText(port: number, dir: string, options: MosquittoOptions): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    // Run as whoever runs the tests: as root, mosquitto would otherwise switch to the `mosquitto` user and lose
    // access to the temporary directory.
    `user ${userInfo().username}`,
    'persistence true',
    `persistence_location ${dir}/`,
    // Save on exit (SIGTERM) only: restart() is a clean stop, and a timer would make the tests timing-dependent.
    'autosave_interval 0',
    'max_queued_messages 100000',
    `max_inflight_messages ${options.maxInflightMessages ?? 20}`,
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'log_type subscribe',
    ...(options.logPackets === true ? ['log_type debug'] : []),
    'connection_messages true',
    'log_timestamp_format %H:%M:%S',
    ...(options.acl === undefined ? [] : [`acl_file ${join(dir, 'acl')}`]),
    ...(options.tls === undefined
      ? []
      : [
          `cafile ${options.tls.caFile}`,
          `certfile ${options.tls.certFile}`,
          `keyfile ${options.tls.keyFile}`,
          `require_certificate ${options.tls.clientCertFile === undefined ? 'false' : 'true'}`,
        ]),
    ...(options.extraConfig ?? []),
    '',
  ].join('\n');
}

/** Starts a Mosquitto on a free port of 127.0.0.1; resolves once it accepts connections. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const mosquittoPath = requireExecutable('mosquitto');
  const mosquittoPubPath = requireExecutable('mosquitto_pub');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-mosquitto-'));
  if (options.acl !== undefined) await writeFile(join(dir, 'acl'), options.acl);
  const confPath = join(dir, 'mosquitto.conf');
  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const readLog = async (): Promise<string> => {
    const file = await readFile(join(dir, 'mosquitto.log'), 'utf8').catch(() => '');
    return `${file}${output}`;
  };

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(mosquittoPath, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let exit: string | undefined;
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('error', (err) => (exit = `could not run ${mosquittoPath}: ${err.message}`));
    proc.once('exit', (code, signal) => (exit ??= `mosquitto exited (code ${code}, signal ${signal})`));
    try {
      await waitForPort(port, READY_TIMEOUT_MS, () => exit);
    } catch (err) {
      proc.kill('SIGKILL');
      const detail = (await readLog()).trim().split('\n').slice(-10).join('\n');
      throw new Error(`mosquitto did not start on port ${port}: ${(err as Error).message}\n${detail}`, {
        cause: err,
      });
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) =>
      proc.once('exit', () => {
        resolve();
      }),
    );
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  // Another process may take the port between freePort() and mosquitto's bind: try a fresh one then.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    await writeFile(confPath, configText(port, dir, options));
    try {
      await launch();
      break;
    } catch (err) {
      await stop();
      if (attempt >= PORT_ATTEMPTS || !/Address already in use/i.test((err as Error).message)) {
        process.removeListener('exit', killOnExit);
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const runPub = (args: string[], stdin: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const proc = spawn(mosquittoPubPath, ['-h', '127.0.0.1', '-p', String(port), ...args], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      proc.once('error', reject);
      proc.once('exit', (code) => {
        if (code === 0) resolve();
        else reject(new Error(`mosquitto_pub ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
      });
      proc.stdin.end(stdin);
    });

  const tlsArgs =
    options.tls === undefined
      ? []
      : [
          '--cafile',
          options.tls.caFile,
          ...(options.tls.clientCertFile === undefined ? [] : ['--cert', options.tls.clientCertFile]),
          ...(options.tls.clientKeyFile === undefined ? [] : ['--key', options.tls.clientKeyFile]),
        ];
  const pubArgs = (topic: string, publishOptions: PublishOptions): string[] => [
    ...tlsArgs,
    '-t',
    topic,
    '-q',
    String(publishOptions.qos ?? 0),
    '-V',
    publishOptions.protocolVersion === 5 ? 'mqttv5' : 'mqttv311',
    ...(publishOptions.retain === true ? ['-r'] : []),
  ];

  return {
    get url() {
      return `${options.tls === undefined ? 'mqtt' : 'mqtts'}://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dir,
    stop,
    start: launch,
    async restart() {
      await stop();
      await launch();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    publish(topic, payload, publishOptions = {}) {
      const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
      // -s sends all of stdin as one message (any bytes); -n is the only way to send an empty one.
      return body.length === 0
        ? runPub([...pubArgs(topic, publishOptions), '-n'], '')
        : runPub([...pubArgs(topic, publishOptions), '-s'], body);
    },
    publishLines(topic, lines, publishOptions = {}) {
      if (lines.some((line) => line.includes('\n') || line === '')) {
        throw new Error('publishLines takes non-empty lines without newlines');
      }
      return runPub([...pubArgs(topic, publishOptions), '-l'], `${lines.join('\n')}\n`);
    },
    log: readLog,
    async close() {
      await stop();
      process.removeListener('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
