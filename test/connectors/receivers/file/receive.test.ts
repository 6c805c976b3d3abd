// The file receiver on a real directory: files there before connect and files written after, a file that grows
// (only complete lines; its last line once the file is left alone), CRLF, malformed and overlong lines as dead
// letters, the name pattern, truncation, and resuming from the saved offsets as a restart would.
import { appendFile, mkdtemp, rename, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fileReceiverConfigSchema,
  type FileReceiverConfig,
} from '../../../../connectors/receivers/file/config.js';
import { FileReceiver } from '../../../../connectors/receivers/file/receiver.js';
import { namePattern } from '../../../../connectors/receivers/file/pattern.js';
import { DecodingHost } from '../serial/serial-host.js';

let dir: string;
let receiver: FileReceiver | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-file-'));
});

afterEach(async () => {
  await receiver?.close();
  await receiver?.idle();
  receiver = undefined;
  await rm(dir, { recursive: true, force: true });
});

function config(extra: Record<string, unknown> = {}): FileReceiverConfig {
  return fileReceiverConfigSchema.parse({ type: 'file', path: dir, pollInterval: '50ms', ...extra });
}

async function start(
  cfg: FileReceiverConfig,
  host = new DecodingHost('files', cfg),
): Promise<{ host: DecodingHost; receiver: FileReceiver }> {
  const r = new FileReceiver('files', cfg, host);
  receiver = r;
  await r.connect();
  return { host, receiver: r };
}

const values = (host: DecodingHost): unknown[] => host.records.map((r) => r.fields.v);

/** Sets a file's modification time into the past, as if its writer had finished a while ago. */
async function age(file: string, seconds = 60): Promise<void> {
  const t = new Date(Date.now() - seconds * 1000);
  await utimes(file, t, t);
}

it('reads files that were there before it started and files written after, each once', async () => {
  await writeFile(path.join(dir, 'a.jsonl'), '{"v":1}\n{"v":2}\n');
  const { host, receiver: r } = await start(config());
  await host.waitForRecords(2);
  await writeFile(path.join(dir, 'b.jsonl'), '{"v":3}\n');
  await host.waitForRecords(3);
  await appendFile(path.join(dir, 'a.jsonl'), '{"v":4}\n');
  await host.waitForRecords(4);
  await r.idle();
  expect(values(host).sort()).toEqual([1, 2, 3, 4]);
  expect(host.records.map((rec) => rec.key)).toContain('b.jsonl'); // default key: the file name
  expect(host.dead).toEqual([]);
});

it('reads only complete lines of a growing file, and its last line once the writer has left it', async () => {
  const file = path.join(dir, 'log.jsonl');
  await writeFile(file, '{"v":1}\n{"v":');
  const { host, receiver: r } = await start(config({ idle: '1h' }));
  await host.waitForRecords(1);
  await appendFile(file, '2}\r\n{"v":3}');
  await host.waitForRecords(2);
  await r.idle();
  expect(values(host)).toEqual([1, 2]); // {"v":3} has no newline and the file is fresh: not yet
  await age(file);
  await receiver?.close();
  // The same file, now idle (10 s default): the partial last line is taken.
  const again = await start(config({ idle: '10s' }), host);
  await host.waitForRecords(3);
  await again.receiver.idle();
  expect(values(host)).toEqual([1, 2, 3]);
  expect(host.dead).toEqual([]);
});

it('saves the offset after the last complete line with every delivery, and resumes there', async () => {
  const file = path.join(dir, 'x.jsonl');
  await writeFile(file, '{"v":1}\n{"v":2}\n{"v"');
  const first = await start(config({ idle: '1h' }));
  await first.host.waitForRecords(2);
  await first.receiver.idle();
  await first.receiver.close();
  const saved = [...first.host.progress.values()];
  expect(saved).toEqual([{ name: 'x.jsonl', offset: 16 }]);

  // A new process: a host holding only the saved progress, as the store would after a restart.
  await appendFile(file, ':3}\n{"v":4}\n');
  const host = new DecodingHost('files', config());
  for (const [k, v] of first.host.progress) host.progress.set(k, v);
  const second = await start(config({ idle: '1h' }), host);
  await host.waitForRecords(2);
  await second.receiver.idle();
  expect(values(host)).toEqual([3, 4]);
});

it('sends a malformed line and an overlong line to the dead letters and reads on', async () => {
  await writeFile(
    path.join(dir, 'bad.jsonl'),
    `{"v":1}\nnot json\n{"v":2,"pad":"${'x'.repeat(100)}"}\n{"v":3}\n`,
  );
  const { host, receiver: r } = await start(config({ maxLineLength: 64 }));
  await host.waitForRecords(2);
  await r.idle();
  expect(values(host)).toEqual([1, 3]);
  expect(host.dead.map((d) => d.reason)).toEqual([
    expect.stringMatching(/json/i),
    expect.stringMatching(/^line overflow/),
    expect.stringMatching(/^line overflow/),
  ]);
});

it('reads CSV files with a header, also when resuming in the middle of one', async () => {
  const file = path.join(dir, 'log.csv');
  await writeFile(file, 'sensor,v\ns1,1\n');
  const cfg = config({ format: 'csv', header: true, key: 'sensor' });
  const first = await start(cfg);
  await first.host.waitForRecords(1);
  await first.receiver.idle();
  await first.receiver.close();
  await appendFile(file, 's2,2\n');
  const host = new DecodingHost('files', cfg); // a fresh decoder that has never seen the header
  for (const [k, v] of first.host.progress) host.progress.set(k, v);
  const second = await start(cfg, host);
  await host.waitForRecords(1);
  await second.receiver.idle();
  expect(host.records.map((rec) => [rec.key, rec.fields.v])).toEqual([['s2', 2]]);
  expect(host.dead).toEqual([]);
});

it('reads only names that match the pattern, and a file renamed into it as a new file', async () => {
  await writeFile(path.join(dir, 'skip.tmp'), '{"v":0}\n');
  await writeFile(path.join(dir, '.hidden.csv'), 'x\n');
  const { host, receiver: r } = await start(config({ pattern: '*.{csv,log}', format: 'text' }));
  await writeFile(path.join(dir, 'a.csv'), 'one\n');
  await host.waitForRecords(1);
  await rename(path.join(dir, 'skip.tmp'), path.join(dir, 'b.log'));
  await host.waitForRecords(2);
  await r.idle();
  expect(host.records.map((rec) => [rec.topic, rec.fields.value])).toEqual([
    ['a.csv', 'one'],
    ['b.log', '{"v":0}'],
  ]);
});

it('reads a truncated file again from the start', async () => {
  const file = path.join(dir, 't.txt');
  await writeFile(file, 'a\nb\n');
  const { host, receiver: r } = await start(config({ format: 'text' }));
  await host.waitForRecords(2);
  await r.idle();
  await truncate(file, 0);
  await appendFile(file, 'c\n');
  await host.waitForRecords(3);
  expect(host.records.map((rec) => rec.fields.value)).toEqual(['a', 'b', 'c']);
  expect(host.logs.some((l) => l.msg.includes('truncated'))).toBe(true);
});

it('forgets the offsets of files that are gone', async () => {
  const file = path.join(dir, 'gone.txt');
  await writeFile(file, 'a\n');
  const { host, receiver: r } = await start(config({ format: 'text' }));
  await host.waitForRecords(1);
  await r.idle();
  expect(host.progress.size).toBe(1);
  await rm(file);
  await host.waitFor('progress forgotten', () => host.progress.size === 0);
});

it('keeps the offset when the intake refuses lines, reports the loss, and reads them after reconnecting', async () => {
  await writeFile(path.join(dir, 'a.txt'), 'a\n');
  const cfg = config({ format: 'text' });
  const host = new DecodingHost('files', cfg);
  host.mode = 'reject';
  const r = new FileReceiver('files', cfg, host);
  receiver = r;
  await r.connect();
  await host.waitFor('a disconnect', () => host.disconnects.length === 1);
  expect(host.progress.size).toBe(0);
  host.mode = 'accept';
  await r.connect(); // what the supervisor does after its backoff
  await host.waitFor('the line delivered', () => host.messages.length === 1);
  expect([...host.progress.values()]).toEqual([{ name: 'a.txt', offset: 2 }]);
});

it('fails to connect with the reason when the directory is missing', async () => {
  const cfg = fileReceiverConfigSchema.parse({ type: 'file', path: path.join(dir, 'nope') });
  const r = new FileReceiver('files', cfg, new DecodingHost('files', cfg));
  await expect(r.connect()).rejects.toThrow(/cannot watch .*nope/);
});

describe('config', () => {
  it('asks for columns with format: csv', () => {
    const parsed = fileReceiverConfigSchema.safeParse({ type: 'file', path: dir, format: 'csv' });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/columns/);
  });

  it('rejects a pattern with a slash or an open bracket', () => {
    expect(fileReceiverConfigSchema.safeParse({ type: 'file', path: dir, pattern: 'a/*.csv' }).success).toBe(
      false,
    );
    expect(namePattern('[ab').ok).toBe(false);
  });

  it('matches globs on whole names', () => {
    const p = namePattern('log-??.{csv,txt}');
    if (!p.ok) throw new Error(p.message);
    expect(['log-01.csv', 'log-ab.txt', 'log-1.csv', 'log-01.csv.bak', '.log-01.csv'].map(p.test)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    const set = namePattern('[!x]*.c');
    if (!set.ok) throw new Error(set.message);
    expect([set.test('a.c'), set.test('x.c'), set.test('a.c+')]).toEqual([true, false, false]);
  });
});
