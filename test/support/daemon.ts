// Runs `sluice run -c FILE` as a real child process (from the TypeScript sources through tsx), so tests can
// SIGKILL it mid-batch and start it again on the same state directory.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DaemonProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (pino JSON lines on stdout, errors on stderr). */
  output(): string;
  /** Resolves when a log line with this msg appears; rejects if the process exits first or on timeout. */
  waitForLog(msg: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The base URL of the daemon's REST API (`api: { port: 0 }` picks a free port), from its 'api listening' log
 * line; throws if it has not logged one. */
export function apiUrl(d: DaemonProcess): string {
  const url = /"url":"(http:[^"]+)","msg":"api listening"/.exec(d.output())?.[1];
  if (url === undefined) throw new Error(`the daemon logged no api url: ${d.output().slice(-2000)}`);
  return url;
}

/** Starts the daemon with args; cwd (default: the repository) is where relative paths in its config resolve. */
export function startDaemon(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = root): DaemonProcess {
  // tsx is resolved from the repository, so the daemon can run in any working directory.
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'daemon', 'main.ts'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const l of listeners) l();
    });
  });
  const waitForLog = (msg: string, timeoutMs = 30_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const needle = `"msg":"${msg}"`;
      const check = (): void => {
        if (text.includes(needle)) done(resolve);
        else if (child.exitCode !== null || child.signalCode !== null) {
          done(() => {
            reject(new Error(`daemon exited before logging "${msg}":\n${text.slice(-3000)}`));
          });
        }
      };
      const timer = setTimeout(() => {
        done(() => {
          reject(new Error(`timed out waiting for "${msg}":\n${text.slice(-3000)}`));
        });
      }, timeoutMs);
      const done = (then: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        then();
      };
      listeners.add(check);
      check();
    });
  return { child, output: () => text, waitForLog, exited };
}
