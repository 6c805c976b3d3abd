// WAL and store damage (issue #7): a stopped daemon's LevelDB is damaged the ways a disk or a power cut damages it
// (the last log write cut short, garbage after it, a table file with flipped bytes, CURRENT gone). The daemon then
// either starts with what is intact and logs what LevelDB dropped, or refuses to start, exits non-zero and says
// how to recover (`sluice repair`); after the repair it starts again. Never a silent loss, never a bare crash.
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDaemon } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

let dir: string;
let pristine: string;

function configText(state: string, out: string): string {
  return `gateway: { id: damage }
batch: { interval: 50ms }
state: { dir: ${state} }
receivers:
  sim: { type: simulator, sensors: 5, interval: 10ms }
pipelines:
  climate:
    from: [sim]
    window: { length: 200ms }
    aggregate: { n: count(), temp_max: max(temp) }
    to: [file]
sinks:
  file: { type: file, path: ${out} }
api: { port: 0 }
`;
}

async function runUntilCommitted(config: string, batches: number): Promise<void> {
  const d = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
  await d.waitForLog('running');
  const committed = (): number => (d.output().match(/"msg":"window results committed"/g) ?? []).length;
  await waitFor(`${batches} committed batches`, () => (committed() >= batches ? true : undefined), {
    timeoutMs: 60_000,
  });
  d.child.kill('SIGTERM');
  expect((await d.exited).code, d.output().slice(-2000)).toBe(0);
}

/** A state dir with data in table files (.ldb) and in the log: two runs, each stopped cleanly. */
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-damage-'));
  pristine = path.join(dir, 'pristine');
  const config = path.join(dir, 'pristine.yaml');
  await writeFile(config, configText(pristine, path.join(dir, 'pristine.jsonl')));
  await runUntilCommitted(config, 20);
  await runUntilCommitted(config, 20);
  const files = await readdir(path.join(pristine, 'db'));
  expect(files.some((f) => f.endsWith('.ldb'))).toBe(true);
  expect(files.some((f) => f.endsWith('.log'))).toBe(true);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the pristine state dir and a config for it. */
async function copy(name: string): Promise<{ config: string; db: string; files: string[] }> {
  const state = path.join(dir, name);
  await cp(pristine, state, { recursive: true });
  const config = path.join(dir, `${name}.yaml`);
  await writeFile(config, configText(state, path.join(dir, `${name}.jsonl`)));
  const db = path.join(state, 'db');
  return { config, db, files: await readdir(db) };
}

async function newest(db: string, ext: string): Promise<string> {
  const files = (await readdir(db)).filter((f) => f.endsWith(ext)).sort();
  const last = files.at(-1);
  if (last === undefined) throw new Error(`no ${ext} file in ${db}`);
  return path.join(db, last);
}

/** Runs a daemon until it logs "running" (then stops it) or exits; the outcome and what it printed. */
async function outcome(config: string): Promise<{ started: boolean; code: number | null; output: string }> {
  const d = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
  const started = await d.waitForLog('running', 30_000).then(
    () => true,
    () => false,
  );
  if (started) {
    // SIGTERM is handled from just after "running" on: wait for a batch first.
    const at = d.output().length;
    await waitFor('a batch after running', () =>
      d.output().slice(at).includes('"msg":"window results committed"') ? true : undefined,
    );
    d.child.kill('SIGTERM');
  }
  const { code } = await d.exited;
  return { started, code, output: d.output() };
}

async function repair(config: string): Promise<{ code: number | null; output: string }> {
  const d = startDaemon(['repair', '-c', config]);
  const { code } = await d.exited;
  return { code, output: d.output() };
}

/** The warning a daemon logs when it starts on a damaged store, with what was damaged. */
function damageWarning(output: string): string[] | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('"msg":"state store damaged: starting with what is intact"')) continue;
    return (JSON.parse(line) as { damage: string[] }).damage;
  }
  return undefined;
}

function recoveredCheckpoint(output: string): number | null | undefined {
  for (const line of output.split('\n')) {
    if (line.includes('"msg":"state recovered"')) {
      return (JSON.parse(line) as { checkpointBatchMs: number | null }).checkpointBatchMs;
    }
  }
  return undefined;
}

describe('a damaged state store', () => {
  test('the last log write cut short: starts, and logs the torn record it drops', async () => {
    const { config, db } = await copy('truncated');
    const log = await newest(db, '.log');
    await truncate(log, (await stat(log)).size - 5);
    const run = await outcome(config);
    expect(run.started, run.output.slice(-2000)).toBe(true);
    expect(run.code).toBe(0);
    expect(damageWarning(run.output)?.join('\n')).toMatch(/\.log: the last \d+ bytes .* are a torn record/);
    expect(recoveredCheckpoint(run.output)).toEqual(expect.any(Number));
  }, 60_000);

  test('garbage appended to the log: starts, and logs the bytes it ignores', async () => {
    const { config, db } = await copy('garbage');
    const log = await newest(db, '.log');
    const garbage = Buffer.from('this is not a LevelDB record \x00\x01\x02 '.repeat(20));
    await appendFile(log, garbage);
    const run = await outcome(config);
    expect(run.started, run.output.slice(-2000)).toBe(true);
    expect(damageWarning(run.output)?.join('\n')).toContain(`the last ${garbage.length} bytes`);
    expect(recoveredCheckpoint(run.output)).toEqual(expect.any(Number));
  }, 60_000);

  test('a corrupt table file: refuses to start and says how to repair; after `sluice repair` it starts', async () => {
    const { config, db } = await copy('table');
    const table = await newest(db, '.ldb');
    const bytes = await readFile(table);
    for (let i = 100; i < bytes.length - 100; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    await writeFile(table, bytes);
    const run = await outcome(config);
    expect(run.started).toBe(false);
    expect(run.code, run.output).toBe(3);
    expect(run.output).toContain('error[SLUICE_STATE_CORRUPT]: the state store in');
    expect(run.output).toContain('Corruption:');
    expect(run.output).toContain('sluice repair -c FILE');

    const fixed = await repair(config);
    expect(fixed.code, fixed.output).toBe(0);
    expect(fixed.output).toContain('copied the store as it was to');
    expect(fixed.output).toMatch(/LevelDB could not recover everything:\n.*[Cc]orrupt/);
    expect(fixed.output).toContain('the repaired store holds:');
    const again = await outcome(config);
    expect(again.started, again.output.slice(-2000)).toBe(true);
    expect(again.code).toBe(0);
  }, 90_000);

  test('CURRENT deleted: refuses to start (LevelDB would start empty and delete the tables); repair restores it', async () => {
    const { config, db } = await copy('current');
    await rm(path.join(db, 'CURRENT'));
    const run = await outcome(config);
    expect(run.started).toBe(false);
    expect(run.code, run.output).toBe(3);
    expect(run.output).toContain(
      'but no CURRENT file: opened as it is, it would start empty and delete them',
    );
    expect(run.output).toContain('sluice repair -c FILE');
    // Nothing was deleted by the refused start.
    expect((await readdir(db)).filter((f) => f.endsWith('.ldb')).length).toBeGreaterThan(0);

    const fixed = await repair(config);
    expect(fixed.code, fixed.output).toBe(0);
    const again = await outcome(config);
    expect(again.started, again.output.slice(-2000)).toBe(true);
    // The checkpoint in the table files is back.
    expect(recoveredCheckpoint(again.output)).toEqual(expect.any(Number));
  }, 90_000);

  test('repair refuses while a daemon holds the store', async () => {
    const { config } = await copy('held');
    const d = startDaemon(['run', '-c', config]);
    await d.waitForLog('running');
    const fixed = await repair(config);
    expect(fixed.code).toBe(1);
    expect(fixed.output).toContain('error[SLUICE_STATE_LOCKED]');
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  }, 60_000);
});
