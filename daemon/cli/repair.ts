// `sluice repair -c FILE`: rebuilds a damaged state store (LevelDB's RepairDB) with the daemon stopped. It first
// copies the store aside (state.dir/db.damaged-<time>), then prints what LevelDB could not recover and what the
// store holds afterwards, so nothing is lost silently. Exit 0 when the store opens afterwards.
import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Level } from 'level';
import { loadConfig } from '../config/load.js';
import { SluiceError } from '../errors.js';
import { leveldbReports } from '../store/damage.js';
import { Store } from '../store/store.js';
import type { CliIo } from './io.js';

export async function repairCommand(options: { config: string }, io: CliIo): Promise<number> {
  const config = await loadConfig(options.config, { env: io.env, cwd: io.cwd });
  const location = path.resolve(config.state.dir, 'db');
  const files = await readdir(location).catch(() => undefined);
  if (files === undefined || files.length === 0) {
    throw new SluiceError('SLUICE_STATE_IO', `there is no state store in ${location} to repair`);
  }
  await refuseWhileInUse(location, config.state.dir);
  const copy = `${location}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await cp(location, copy, { recursive: true });
  io.stdout(`copied the store as it was to ${copy}\n`);
  await repairLevelDb(location);
  const reports = await leveldbReports(location);
  io.stdout(
    reports.length === 0
      ? 'LevelDB reported nothing lost\n'
      : `LevelDB could not recover everything:\n${reports.map((l) => `  ${l}\n`).join('')}`,
  );
  const store = await Store.open(config.state.dir, config.state.durability);
  try {
    const counts: string[] = [];
    for (const [name, level] of [
      ['write-ahead log records', store.wal],
      ['metadata entries (cuts, checkpoint)', store.meta],
      ['dead letters', store.dead],
      ...Object.keys(config.sinks).map((id) => [`outbox entries of ${id}`, store.outbox(id)] as const),
    ] as const) {
      let n = 0;
      for await (const _ of level.keys()) n++;
      counts.push(`  ${n} ${name}\n`);
    }
    io.stdout(`the repaired store holds:\n${counts.join('')}`);
  } finally {
    await store.close();
  }
  io.stdout('repaired: start the daemon again; its log says which operators start fresh\n');
  return 0;
}

/** RepairDB takes no lock: make sure no daemon holds the store (LevelDB locks before it looks at CURRENT). */
async function refuseWhileInUse(location: string, stateDir: string): Promise<void> {
  const db = new Level(location, { createIfMissing: false });
  try {
    await db.open();
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') {
      throw new SluiceError(
        'SLUICE_STATE_LOCKED',
        `a Sluice process is using the state directory ${stateDir}`,
        {
          cause: err,
          hint: 'Stop the daemon first (systemctl stop sluice), then repair.',
        },
      );
    }
    // Anything else (no CURRENT, corruption) is what the repair is for.
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** LevelDB's RepairDB. In Node, level's Level is classic-level's ClassicLevel, which has it; level's types omit it. */
function repairLevelDb(location: string): Promise<void> {
  return (Level as unknown as { repair(location: string): Promise<void> }).repair(location);
}
