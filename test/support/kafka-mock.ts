// librdkafka's mock cluster as the Kafka broker of the integration tests, and kcat as an independent consumer.
// The mock is a few lines of C (kafka-mock.c beside this file), compiled once per source hash into a temp dir and
// started per test; down()/up() take its broker away and bring it back on the same address. A missing compiler,
// librdkafka-dev or kcat fails the run with the command that installs them (tests never skip silently).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const INSTALL_HINT = 'apt-get install librdkafka-dev kcat';
const HEADER = '/usr/include/librdkafka/rdkafka_mock.h';
const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kafka-mock.c');
const READY_TIMEOUT_MS = 10_000;

export interface KafkaMock {
  /** host:port of its broker(s), for kafkajs `brokers` and kcat `-b`. */
  readonly brokers: string[];
  /** Takes the broker away: open connections are closed and new ones dropped, until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Stops the cluster (its messages are gone) and waits for the process to exit. */
  stop(): Promise<void>;
}

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers: Record<string, string>;
}

let built: Promise<string> | undefined;

/** Compiles kafka-mock.c once per source hash (cached across runs in the temp dir); resolves with its path. */
export function buildKafkaMock(): Promise<string> {
  built ??= (async () => {
    if (!existsSync(HEADER)) {
      throw new Error(
        `librdkafka-dev is not installed (${HEADER}); the Kafka tests need it: ${INSTALL_HINT}`,
      );
    }
    const source = await readFile(SOURCE);
    const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
    const dir = path.join(tmpdir(), 'sluice-kafka-mock');
    const binary = path.join(dir, `kafka-mock-${hash}`);
    if (existsSync(binary)) return binary;
    await mkdir(dir, { recursive: true });
    // Parallel test files may build at once: each writes its own file and renames it into place atomically.
    const partial = `${binary}.${process.pid}.tmp`;
    try {
      await run('cc', ['-O1', '-o', partial, SOURCE, '-lrdkafka']);
    } catch (err) {
      await rm(partial, { force: true });
      throw new Error(
        `cannot build the Kafka mock cluster with cc and -lrdkafka: ${(err as Error).message}\ninstall: ${INSTALL_HINT} gcc`,
        { cause: err },
      );
    }
    await rename(partial, binary);
    return binary;
  })();
  return built;
}

/** Starts a mock cluster with one broker and these topics (`name` or `name:partitions`). */
export async function startKafkaMock(options: { topics?: readonly string[] } = {}): Promise<KafkaMock> {
  const binary = await buildKafkaMock();
  const child: ChildProcess = spawn(binary, [...(options.topics ?? [])], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: ((line: string) => void)[] = [];
  const backlog: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next === undefined) backlog.push(line);
    else next(line);
  });
  const nextLine = (what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const queued = backlog.shift();
      if (queued !== undefined) {
        resolve(queued);
        return;
      }
      const timer = setTimeout(() => {
        reject(new Error(`kafka mock: no ${what} within ${READY_TIMEOUT_MS} ms\n${stderr}`));
      }, READY_TIMEOUT_MS);
      const onExit = (): void => {
        clearTimeout(timer);
        reject(new Error(`kafka mock exited before ${what}\n${stderr}`));
      };
      child.once('exit', onExit);
      waiting.push((line) => {
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        resolve(line);
      });
    });

  const first = await nextLine('bootstrap address');
  const match = /^bootstrap (\S+)$/.exec(first);
  if (match?.[1] === undefined) throw new Error(`kafka mock printed ${first}\n${stderr}`);
  const brokers = match[1].split(',');
  await nextLine('ready');

  const command = async (cmd: 'down' | 'up'): Promise<void> => {
    child.stdin?.write(`${cmd}\n`);
    const answer = await nextLine(`answer to ${cmd}`);
    if (answer !== `ok ${cmd}`) throw new Error(`kafka mock answered ${answer} to ${cmd}`);
  };
  return {
    brokers,
    down: () => command('down'),
    up: () => command('up'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end();
        child.kill('SIGTERM');
        await exited;
      }
      process.removeListener('exit', killOnExit);
    },
  };
}

/** Reads a topic from the beginning to its end with kcat (`-C -e -J`), an independent consumer. */
export async function kcatConsume(
  brokers: readonly string[],
  topic: string,
  { timeoutMs = 30_000 } = {},
): Promise<KcatMessage[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(
      'kcat',
      ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
      { maxBuffer: 1024 * 1024 * 1024, timeout: timeoutMs },
    ));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error(`kcat is not installed; the Kafka tests need it: ${INSTALL_HINT}`, { cause: err });
    }
    throw err;
  }
  return parseKcatJson(stdout);
}

/** kcat's `-J` output, one JSON message per line, as messages (a torn last line, still being written, is left). */
function parseKcatJson(text: string): KcatMessage[] {
  const messages: KcatMessage[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let raw: {
      topic: string;
      partition: number;
      offset: number;
      key: string | null;
      payload: string | null;
      headers?: string[];
    };
    try {
      raw = JSON.parse(line) as typeof raw;
    } catch {
      continue;
    }
    const headers: Record<string, string> = {};
    const list = raw.headers ?? [];
    for (let i = 0; i + 1 < list.length; i += 2) headers[list[i] as string] = list[i + 1] as string;
    messages.push({
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      key: raw.key,
      payload: raw.payload,
      headers,
    });
  }
  return messages;
}

export interface KcatTail {
  /** Every message read so far, in the order kcat printed them. */
  read(): Promise<KcatMessage[]>;
  stop(): Promise<void>;
}

/**
 * Follows a topic from the beginning with kcat (`-C -J`, no `-e`), writing what it reads to `file`. For runs that
 * write more than the librdkafka mock keeps: a mock partition holds at most 5 MiB (and 100,000 message sets) and
 * deletes its oldest messages past that, so a read at the end would miss them; a consumer that follows the topic
 * all along has read them before they go.
 */
export async function kcatTail(brokers: readonly string[], topic: string, file: string): Promise<KcatTail> {
  const out = await open(file, 'w');
  const child = spawn(
    'kcat',
    ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-J', '-q', '-u'],
    {
      stdio: ['ignore', out.fd, 'ignore'],
    },
  );
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.once('error', () => undefined);
  return {
    read: async () => parseKcatJson(await readFile(file, 'utf8')),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await out.close();
    },
  };
}
