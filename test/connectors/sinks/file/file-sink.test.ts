// The file sink on a real filesystem: the torn last line a crash leaves is cut on open, size rotation keeps
// `keep` files and drops the oldest, fsync durability syncs, a missing directory is created, and a path that
// cannot be written fails connect() with an error naming it.
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { fileSinkConfigSchema } from '../../../../connectors/sinks/file/config.js';
import { createSink } from '../../../../connectors/sinks/file/index.js';
import type { FileSink } from '../../../../connectors/sinks/file/sink.js';
import type { Logger, OutboxEntry, SinkHost } from '../../../../connectors/types.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-file-sink-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A host that remembers what was logged and disconnected, with the given durability. */
function host(durability: 'process' | 'fsync' = 'process'): SinkHost & { logged: string[] } {
  const logged: string[] = [];
  const log: Logger = {
    debug: (_obj, msg) => logged.push(msg),
    info: (_obj, msg) => logged.push(msg),
    warn: (_obj, msg) => logged.push(msg),
    error: (_obj, msg) => logged.push(msg),
  };
  return { log, durability, logged, disconnected: () => undefined };
}

function sink(file: string, rotate: { maxBytes?: string; keep?: number } = {}, h = host()): FileSink {
  return createSink('archive', fileSinkConfigSchema.parse({ type: 'file', path: file, rotate }), h);
}

/** An outbox entry whose line is exactly `{"n":<n>,"pad":"…"}`, padded to `bytes` bytes with its newline. */
function entry(n: number, bytes = 0): OutboxEntry {
  const bare = JSON.stringify({ n, pad: '' });
  const value = JSON.stringify({ n, pad: 'x'.repeat(Math.max(0, bytes - bare.length - 1)) });
  return { id: `gw/p/k/${n}`, key: 'k', value };
}

async function lines(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8');
  expect(text === '' || text.endsWith('\n'), `${file} ends in a torn line`).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { n: number }).n);
}

describe('the file sink', () => {
  test('cuts the torn last line a crash left on open, and the entry written again follows whole lines', async () => {
    const file = path.join(dir, 'out.jsonl');
    const first = sink(file);
    await first.connect();
    await first.send([entry(1), entry(2)]);
    await first.close();
    // A crash in the middle of writing entry 3: half its line reached the file.
    const torn = `${entry(3).value}\n`.slice(0, 9);
    await appendFile(file, torn);

    const second = sink(file);
    await second.connect();
    expect(await readFile(file, 'utf8')).toBe(`${entry(1).value}\n${entry(2).value}\n`);
    // Entry 3 is still in the outbox (it was never acknowledged): the forwarder sends it again.
    await second.send([entry(3), entry(4)]);
    await second.close();
    expect(await lines(file)).toEqual([1, 2, 3, 4]);
  });

  test('cuts a torn line longer than its read-back chunk, and a file that is one torn line', async () => {
    const file = path.join(dir, 'out.jsonl');
    // 200 KiB without a newline after one whole line: the repair reads back across several 64 KiB chunks.
    await writeFile(file, `${entry(1).value}\n${'y'.repeat(200 * 1024)}`);
    const s = sink(file);
    await s.connect();
    await s.send([entry(2)]);
    await s.close();
    expect(await lines(file)).toEqual([1, 2]);

    const only = path.join(dir, 'only.jsonl');
    await writeFile(only, 'z'.repeat(100 * 1024));
    const t = sink(only);
    await t.connect();
    expect(await readFile(only, 'utf8')).toBe('');
    await t.send([entry(7)]);
    await t.close();
    expect(await lines(only)).toEqual([7]);
  });

  test('rotates by size into path.1 … path.keep, dropping the oldest file', async () => {
    const file = path.join(dir, 'out.jsonl');
    const h = host();
    // Each line is 100 bytes; a file holds at most 3 of them.
    const s = sink(file, { maxBytes: '300B', keep: 2 }, h);
    await s.connect();
    for (let n = 1; n <= 10; n++) await s.send([entry(n, 100)]);
    await s.close();

    expect((await readdir(dir)).sort()).toEqual(['out.jsonl', 'out.jsonl.1', 'out.jsonl.2']);
    // Newest in path, older in path.1, oldest kept in path.2; entries 1–3 went with the dropped file.
    expect(await lines(file)).toEqual([10]);
    expect(await lines(`${file}.1`)).toEqual([7, 8, 9]);
    expect(await lines(`${file}.2`)).toEqual([4, 5, 6]);
    expect(h.logged.filter((m) => m === 'rotated')).toHaveLength(3);
    // No file ever grows past maxBytes when the entries fit.
    for (const name of await readdir(dir)) {
      expect((await readFile(path.join(dir, name))).length).toBeLessThanOrEqual(300);
    }
  });

  test('keeps no rotated file with keep: 0', async () => {
    const file = path.join(dir, 'out.jsonl');
    const s = sink(file, { maxBytes: '300B', keep: 0 });
    await s.connect();
    for (let n = 1; n <= 7; n++) await s.send([entry(n, 100)]);
    await s.close();
    expect(await readdir(dir)).toEqual(['out.jsonl']);
    expect(await lines(file)).toEqual([7]);
  });

  test('continues the size count of an existing file after a restart', async () => {
    const file = path.join(dir, 'out.jsonl');
    const first = sink(file, { maxBytes: '300B', keep: 1 });
    await first.connect();
    await first.send([entry(1, 100), entry(2, 100)]);
    await first.close();
    const second = sink(file, { maxBytes: '300B', keep: 1 });
    await second.connect();
    await second.send([entry(3, 100)]);
    await second.send([entry(4, 100)]);
    await second.close();
    expect(await lines(`${file}.1`)).toEqual([1, 2, 3]);
    expect(await lines(file)).toEqual([4]);
  });

  test('syncs each write with durability fsync', async () => {
    const file = path.join(dir, 'out.jsonl');
    const s = sink(file, {}, host('fsync'));
    await s.connect();
    await s.send([entry(1), entry(2)]);
    await s.send([entry(3)]);
    await s.close();
    expect(await lines(file)).toEqual([1, 2, 3]);
  });

  test('creates a directory that does not exist', async () => {
    const file = path.join(dir, 'a', 'b', 'c', 'out.jsonl');
    const s = sink(file);
    await s.connect();
    await s.send([entry(1)]);
    await s.close();
    expect(await lines(file)).toEqual([1]);
  });

  test('fails connect() with an error naming the path when it cannot be written, and send() refuses', async () => {
    // A regular file where a directory must be: no user (root included) can create the sink's file under it.
    const blocker = path.join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const file = path.join(blocker, 'out.jsonl');
    const s = sink(file);
    const err = await s.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toContain(blocker);
    expect(err?.message).toMatch(/ENOTDIR|EEXIST|not a directory|file already exists/i);
    await expect(s.send([entry(1)])).rejects.toThrow(/not open/);

    // The path itself is a directory.
    const s2 = sink(dir);
    const err2 = await s2.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err2?.message).toContain(dir);
    expect(err2?.message).toMatch(/EISDIR|directory/i);
  });
});
