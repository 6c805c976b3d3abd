// The Sluice daemon as users run it (`node dist/daemon/main.js run -c FILE`), for the benchmarks that measure the
// whole process: compiled with the project's build config under bench/.peers/ (git-ignored, so the shared dist/
// is left alone), started as a child process, its API address read from its log.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const READY_TIMEOUT_MS = 60_000;
const run = promisify(execFile);

/**
 * Compiles daemon/, connectors/, operators/, hardware/ under bench/.peers/<name>; resolves with main.js's path
 * and what was built. `commit` (default HEAD) builds that commit's files (git archive), so figures belong to a
 * commit and not to someone's unfinished edit; null builds the working tree as it is. A long run (the soak) takes
 * its own name, so a benchmark building meanwhile never rewrites the files it loads.
 */
export async function buildDaemon(
  name = 'dist',
  commit: string | null = 'HEAD',
): Promise<{ main: string; source: string }> {
  const dir = path.join(ROOT, 'bench', '.peers', name);
  let project = ROOT;
  let source = 'the working tree';
  if (commit !== null) {
    // The sources of the commit beside their own package.json (the CLI finds its version and demo from it);
    // packages still resolve from the repository's node_modules, up the tree.
    project = path.join(dir, 'src');
    await rm(project, { recursive: true, force: true });
    await mkdir(project, { recursive: true });
    const { stdout } = await run('git', ['rev-parse', '--short', commit], { cwd: ROOT });
    source = `commit ${stdout.trim()}`;
    const paths = [
      'daemon',
      'operators',
      'connectors',
      'hardware',
      'examples',
      'package.json',
      'tsconfig.json',
    ];
    await run(
      'sh',
      [
        '-c',
        `git archive --format=tar ${commit} tsconfig.build.json ${paths.join(' ')} | tar -x -C "${project}"`,
      ],
      {
        cwd: ROOT,
      },
    );
  }
  const out = commit === null ? dir : path.join(project, 'dist');
  const main = path.join(out, 'daemon', 'main.js');
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', path.join(project, 'tsconfig.build.json'), '--outDir', out], {
      cwd: project,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    // tsc emits despite type errors (someone's unfinished change): run what it emitted, but say so.
    if (!existsSync(main)) throw new Error(`could not build the daemon: ${(err as Error).message}`);
    const first = ((err as { stdout?: string }).stdout ?? '').split('\n')[0] ?? '';
    process.stderr.write(`  warning: the daemon built with type errors (${first.trim()})\n`);
  }
  return { main, source };
}

export interface BuiltDaemon {
  readonly child: ChildProcess;
  readonly pid: number;
  /** http://127.0.0.1:<port> of its REST API. */
  readonly apiUrl: string;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with a log line's msg once it appears (polled from the output). */
  waitForLog(msg: string, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (finish the batch, commit, exit), SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `node [nodeFlags] main.js run -c configFile` in cwd (nodeFlags: e.g. the systemd unit's, for the daemon as
 * installed); resolves once it logged `running` and its API address.
 */
export async function startBuiltDaemon(
  main: string,
  configFile: string,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  nodeFlags: readonly string[] = [],
): Promise<BuiltDaemon> {
  const child = spawn(process.execPath, [...nodeFlags, main, 'run', '-c', configFile], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  // Keep the start and a bounded tail: a long run logs a lot.
  let head = '';
  let tail = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    if (head.length < 64 * 1024) head += text;
    else tail = (tail + text).slice(-64 * 1024);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    });
  });
  const output = (): string => head + tail;
  const waitForLog = async (msg: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!output().includes(`"msg":"${msg}"`)) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`sluice exited before logging "${msg}":\n${output().slice(-3000)}`);
      if (Date.now() > deadline)
        throw new Error(`sluice did not log "${msg}" within ${timeoutMs} ms:\n${output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  let apiUrl: string;
  try {
    // Both need the info level: do not run it with SLUICE_LOG_LEVEL above info.
    await waitForLog('running');
    const listening = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"api listening"/.exec(output());
    if (listening?.[1] === undefined)
      throw new Error(`sluice logged no API address:\n${output().slice(-3000)}`);
    apiUrl = listening[1];
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    pid: child.pid ?? -1,
    apiUrl,
    output,
    waitForLog,
    exited,
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** User + system CPU seconds and peak RSS (VmHWM) of a live process, from /proc. */
export async function procUsage(
  pid: number,
): Promise<{ cpuS: number; peakRssBytes: number; rssBytes: number }> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { cpuS: ticks / CLOCK_TICKS, peakRssBytes: kib('VmHWM') * 1024, rssBytes: kib('VmRSS') * 1024 };
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;
