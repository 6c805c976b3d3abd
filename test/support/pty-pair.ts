// A pair of real pseudo-terminals joined by socat, for serial tests: the receiver opens `<dir>/dev`, the test
// (or a simulated device) writes to `<dir>/sim`. stop() is an unplug (socat exits and removes the links);
// start() plugs a new pair in at the same paths. A missing socat fails with the command that installs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOCAT = '/usr/bin/socat';
const READY_TIMEOUT_MS = 10_000;

export interface PtyPair {
  readonly dir: string;
  /** The side the receiver opens. */
  readonly devPath: string;
  /** The side the test writes to, as a device would. */
  readonly simPath: string;
  /** Starts socat (after stop(): plugs the device back in at the same paths); resolves once both links exist. */
  start(): Promise<void>;
  /** Stops socat with SIGTERM (an unplug: the ptys close, the links go) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops socat and removes the directory. */
  close(): Promise<void>;
}

function socatPath(): string {
  try {
    accessSync(SOCAT, fsConstants.X_OK);
    return SOCAT;
  } catch {
    throw new Error(`socat is not installed; the serial tests need real ptys from it: apt-get install socat`);
  }
}

/** Creates a pty pair in a fresh temporary directory and starts it. */
export async function startPtyPair(): Promise<PtyPair> {
  const socat = socatPath();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pty-'));
  const devPath = join(dir, 'dev');
  const simPath = join(dir, 'sim');
  let child: ChildProcess | undefined;
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const start = async (): Promise<void> => {
    if (child !== undefined) throw new Error('the pty pair is already running');
    // Stale links from a socat that was killed hard would make socat refuse to start.
    await rm(devPath, { force: true });
    await rm(simPath, { force: true });
    const proc = spawn(
      socat,
      ['-d', '-d', `pty,raw,echo=0,link=${devPath}`, `pty,raw,echo=0,link=${simPath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(new Error(`socat did not get ready within ${READY_TIMEOUT_MS} ms:\n${stderr}`));
      }, READY_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        proc.stderr.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
      };
      const fail = (err: Error): void => {
        done();
        proc.kill('SIGKILL');
        child = undefined;
        reject(err);
      };
      // With -d -d socat logs "starting data transfer loop" once both ptys (and their links) exist.
      const onData = (chunk: Buffer): void => {
        stderr += chunk.toString();
        if (stderr.includes('starting data transfer loop')) {
          done();
          proc.stderr.resume();
          resolve();
        }
      };
      const onExit = (code: number | null): void => {
        fail(new Error(`socat exited with code ${code} before it was ready:\n${stderr}`));
      };
      const onError = (err: Error): void => {
        fail(new Error(`could not run ${socat}: ${err.message}`));
      };
      proc.stderr.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', onError);
    });
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        resolve();
      });
    });
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const close = async (): Promise<void> => {
    await stop();
    process.off('exit', killOnExit);
    await rm(dir, { recursive: true, force: true });
  };

  await start();
  return { dir, devPath, simPath, start, stop, close };
}
