// The daemon's one LevelDB under state.dir, with a sublevel per concern: the write-ahead log, metadata (cuts and
// the checkpoint), each sink's outbox and the dead letters. Everything that must survive a crash lives here, and
// everything a batch changes is written in one atomic batch.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Level } from 'level';
import { SluiceError } from '../errors.js';
import { checkBeforeOpen, corruptionError, isCorruption, leveldbReports } from './damage.js';

export type Durability = 'process' | 'fsync';

function jsonSublevel(db: Level<string, unknown>, name: string) {
  return db.sublevel<string, unknown>(name, { valueEncoding: 'json' });
}

/** A sublevel with text keys and JSON values. */
export type JsonLevel = ReturnType<typeof jsonSublevel>;

function bytesSublevel(db: Level<string, unknown>, name: string) {
  return db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' });
}

/** A sublevel with text keys and binary values, stored and read back as they are (the write-ahead log). */
export type BytesLevel = ReturnType<typeof bytesSublevel>;

export type BatchOp =
  | { type: 'put'; sublevel: JsonLevel; key: string; value: unknown }
  | { type: 'put'; sublevel: BytesLevel; key: string; value: Uint8Array }
  | { type: 'del'; sublevel: JsonLevel | BytesLevel; key: string };

export class Store {
  /** Binary values: intake/wal.ts's entries (older JSON entries read back as their bytes). */
  readonly wal: BytesLevel;
  readonly meta: JsonLevel;
  readonly dead: JsonLevel;
  private readonly outboxes = new Map<string, JsonLevel>();
  /** Every sublevel handed out, by name: reopened with the database. */
  private readonly subs = new Map<string, JsonLevel>();
  /** Writes run one after another (LevelDB serialises them anyway): a failed one is seen before the next. */
  private writing: Promise<void> = Promise.resolve();
  /** Set when a write failed: LevelDB's log may now end in a torn record (see write()). */
  private failed: SluiceError | undefined;

  private constructor(
    readonly db: Level<string, unknown>,
    readonly dir: string,
    readonly durability: Durability,
    /** What was found damaged but could be opened (torn log tails, bytes LevelDB dropped); empty when intact. */
    readonly damage: readonly string[] = [],
  ) {
    this.wal = bytesSublevel(db, 'wal');
    this.meta = this.sub('meta');
    this.dead = this.sub('dead');
  }

  /** Opens (creating) the store; a second daemon on the same directory fails at once with SLUICE_STATE_LOCKED. */
  static async open(dir: string, durability: Durability): Promise<Store> {
    const location = path.resolve(dir, 'db');
    try {
      await mkdir(location, { recursive: true });
    } catch (err) {
      throw new SluiceError('SLUICE_STATE_IO', `cannot create the state directory ${location}`, {
        cause: err,
      });
    }
    const damage = await checkBeforeOpen(location);
    const db = new Level<string, unknown>(location, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (err) {
      if (isCorruption(err)) throw corruptionError(location, err);
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new SluiceError(
          'SLUICE_STATE_LOCKED',
          `another Sluice process is using the state directory ${dir}`,
          {
            cause: err,
          },
        );
      }
      throw new SluiceError('SLUICE_STATE_IO', `cannot open the state store in ${location}`, { cause: err });
    }
    return new Store(db, dir, durability, [...damage, ...(await leveldbReports(location))]);
  }

  /** The outbox of one sink. */
  outbox(sinkId: string): JsonLevel {
    let level = this.outboxes.get(sinkId);
    if (level === undefined) {
      level = this.sub(`outbox:${sinkId}`);
      this.outboxes.set(sinkId, level);
    }
    return level;
  }

  /** Entries one sink refused for good (an HTTP 400), under their outbox keys, with the reason. */
  sinkDeadLetters(sinkId: string): JsonLevel {
    return this.sub(`dead-out:${sinkId}`);
  }

  /**
   * Writes ops atomically; with durability fsync, the write is on disk before this resolves.
   *
   * A write that fails (a full disk) can leave part of its record in LevelDB's log, and LevelDB goes on appending
   * after it: at the next open it would read everything from there on as corruption and drop it, acknowledged
   * input and commits included. So after a failure the next write first reopens the database, which recovers the
   * log up to the torn record (a write no caller was told succeeded) and starts a new one; while that fails (the
   * disk still full), writes fail too.
   */
  write(ops: readonly BatchOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    const run = this.writing.then(async () => {
      if (this.failed !== undefined) await this.reopen();
      try {
        // Passed as they are: level copies each operation before it encodes it.
        await this.db.batch(ops as BatchOp[], { sync: this.durability === 'fsync' });
      } catch (err) {
        this.failed = storeWriteError(err);
        throw this.failed;
      }
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async reopen(): Promise<void> {
    try {
      if (this.db.status === 'open') await this.db.close();
      await this.db.open();
      for (const level of [this.wal, ...this.subs.values()]) await level.open();
    } catch (err) {
      throw storeWriteError(err);
    }
    this.failed = undefined;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private sub(name: string): JsonLevel {
    let level = this.subs.get(name);
    if (level === undefined) {
      level = jsonSublevel(this.db, name);
      this.subs.set(name, level);
    }
    return level;
  }
}

/** Maps a LevelDB write failure to a catalog error; a full disk gets its own code so status can say so. */
export function storeWriteError(err: unknown): SluiceError {
  if (/ENOSPC|No space left/i.test(describeChain(err))) {
    return new SluiceError('SLUICE_DISK_FULL', 'the state directory is out of disk space', { cause: err });
  }
  return new SluiceError('SLUICE_STATE_IO', 'writing to the state store failed', { cause: err });
}

/** Messages and codes of an error and its causes, for classifying it. */
function describeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { message, code, cause } = e as { message?: unknown; code?: unknown; cause?: unknown };
    if (typeof message === 'string') parts.push(message);
    if (typeof code === 'string') parts.push(code);
    e = cause;
  }
  return parts.join(' ');
}
