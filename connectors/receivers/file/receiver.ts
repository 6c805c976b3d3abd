// The file receiver (Spark's textFileStream, made for gateways): watches a directory and reads every file whose
// name matches, line by line, once. A file still being written is read on as it grows (only complete lines); its
// last line without a newline is read once the file has been left alone for `idle`.
//
// Files have no acknowledgement, so the position is the receiver's to keep: each delivery carries the file's
// byte offset after its last complete line as progress, which the intake writes in the same atomic write as the
// records. After a crash the daemon reads on exactly where the write-ahead log ends: nothing twice, nothing lost.
// A file is known by device, inode and name: a file renamed, or a new file under an old name, is read afresh.
//
// Lines come from the serial line framer (LF or CR LF; a line past maxLineLength is dead-lettered in pieces).
// One delivery at a time per receiver: while the intake is full, reading waits (backpressure).
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { lineFramer } from '../../../hardware/framing/line.js';
import type { Frame, Framer } from '../../../hardware/framing/types.js';
import type { RawMessage, Receiver, ReceiverHost } from '../../types.js';
import { frameMessage } from '../frame-message.js';
import type { FileReceiverConfig } from './config.js';
import { namePattern } from './pattern.js';

/** Bytes read at a time; every chunk's lines go to the intake in one delivery with the offset after them. */
const CHUNK_BYTES = 64 * 1024;

/** What is saved per file, under its key `<dev>:<ino>:<name>`. */
export interface FileProgress {
  name: string;
  /** Bytes read and delivered: the file is read on from here. */
  offset: number;
}

/** A file as this process knows it. */
interface FileState {
  key: string;
  name: string;
  /** Saved offset: every line before it is in the write-ahead log. */
  offset: number;
  /** Bytes fed to the framer: offset plus a partial line it holds. */
  fed: number;
  /** Holds the partial last line between reads; dropped when it holds nothing. */
  framer: Framer | undefined;
  /** The header line was handed to the intake in this process (csv with header: true). */
  headerSent: boolean;
}

export class FileReceiverError extends Error {
  override readonly name = 'FileReceiverError';
}

export class FileReceiver implements Receiver {
  readonly #config: FileReceiverConfig;
  readonly #host: ReceiverHost;
  readonly #matches: (name: string) => boolean;
  /** Files by key; seeded from the saved progress on the first connect. */
  #files: Map<string, FileState> | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Bumped by every connect and loss: a scan of an older connection stops at its next step. */
  #generation = 0;
  #live = false;
  #closed = false;
  #scanning: Promise<void> | undefined;
  #rescan = false;
  /** Files that could not be read, reported once each. */
  readonly #unreadable = new Set<string>();
  /** Lines delivered since start (tests and status). */
  lines = 0;

  constructor(
    readonly id: string,
    config: FileReceiverConfig,
    host: ReceiverHost,
  ) {
    this.#config = config;
    this.#host = host;
    const pattern = namePattern(config.pattern);
    if (!pattern.ok) throw new FileReceiverError(`pattern: ${pattern.message}`);
    this.#matches = pattern.test;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new FileReceiverError('the receiver is closed');
    this.#stopWatching();
    // A scan of the previous connection ends at its next step; wait for it so two never read at once.
    await this.#scanning;
    const dir = this.#config.path;
    const info = await stat(dir).catch((err: unknown) => {
      throw new FileReceiverError(`cannot watch ${dir}: ${(err as Error).message}`, { cause: err });
    });
    if (!info.isDirectory()) throw new FileReceiverError(`${dir} is not a directory`);
    this.#files ??= await this.#restore();
    if (this.#isClosed()) throw new FileReceiverError('the receiver was closed while connecting');
    // Bytes fed but not delivered are read again: the framers start afresh at the saved offsets.
    for (const file of this.#files.values()) resetToOffset(file);
    const generation = ++this.#generation;
    this.#live = true;
    try {
      this.#watcher = watch(dir, { persistent: false }, () => {
        this.#requestScan(generation);
      });
      this.#watcher.on('error', (err) => {
        this.#lost(generation, err);
      });
    } catch (err) {
      // No inotify (a network filesystem, too many watches): listing every pollInterval still finds the files.
      this.#host.log.warn({ receiver: this.id, dir, err }, 'no change notifications; listing the directory');
    }
    this.#timer = setInterval(() => {
      this.#requestScan(generation);
    }, this.#config.pollInterval);
    this.#host.log.info({ receiver: this.id, dir, pattern: this.#config.pattern }, 'watching directory');
    this.#requestScan(generation);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    this.#generation++;
    this.#stopWatching();
    return Promise.resolve();
  }

  /** Resolves when no scan is in progress (tests). */
  async idle(): Promise<void> {
    while (this.#scanning !== undefined) await this.#scanning;
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  async #restore(): Promise<Map<string, FileState>> {
    const files = new Map<string, FileState>();
    for (const [key, value] of await this.#host.savedProgress()) {
      const saved = value as Partial<FileProgress> | null;
      const offset = saved?.offset;
      if (typeof saved?.name !== 'string' || typeof offset !== 'number' || !(offset >= 0)) continue;
      files.set(key, newState(key, saved.name, offset));
    }
    return files;
  }

  #stopWatching(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #current(generation: number): boolean {
    return this.#live && !this.#closed && generation === this.#generation;
  }

  /** Runs a scan now, or once more after the one in progress. */
  #requestScan(generation: number): void {
    if (!this.#current(generation)) return;
    if (this.#scanning !== undefined) {
      this.#rescan = true;
      return;
    }
    this.#scanning = this.#scanLoop(generation).finally(() => {
      this.#scanning = undefined;
    });
  }

  async #scanLoop(generation: number): Promise<void> {
    do {
      this.#rescan = false;
      try {
        await this.#scan(generation);
      } catch (err) {
        this.#lost(generation, err);
        return;
      }
    } while (this.#rescanRequested() && this.#current(generation));
  }

  /** `rescan`, read after an await (a method, so that the loop's reset does not narrow it). */
  #rescanRequested(): boolean {
    return this.#rescan;
  }

  /** Lists the directory and reads what is new in each matching file, oldest first. */
  async #scan(generation: number): Promise<void> {
    const files = this.#files;
    if (files === undefined) return;
    const dir = this.#config.path;
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
      throw new FileReceiverError(`cannot list ${dir}: ${(err as Error).message}`, { cause: err });
    });
    const present: { key: string; name: string; size: number; mtimeMs: number }[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() || !this.#matches(entry.name)) continue;
      const info = await stat(path.join(dir, entry.name), { bigint: true }).catch(() => undefined);
      if (info?.isFile() !== true) continue; // gone since the listing, or not a regular file
      const key = `${String(info.dev)}:${String(info.ino)}:${entry.name}`;
      present.push({ key, name: entry.name, size: Number(info.size), mtimeMs: Number(info.mtimeMs) });
    }
    if (!this.#current(generation)) return;
    present.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const seen = new Set<string>();
    for (const found of present) {
      seen.add(found.key);
      let file = files.get(found.key);
      if (file === undefined) {
        file = newState(found.key, found.name, 0);
        files.set(found.key, file);
      }
      if (found.size < file.offset) {
        this.#host.log.warn(
          { receiver: this.id, file: found.name, size: found.size, offset: file.offset },
          'file shrank (truncated); reading it again from the start',
        );
        file.offset = 0;
        resetToOffset(file);
      }
      const idle = Date.now() - found.mtimeMs >= this.#config.idle;
      if (found.size > file.fed || (idle && file.fed > file.offset)) {
        await this.#read(generation, file, idle);
        if (!this.#current(generation)) return;
      }
    }
    // Forget files that are gone (or now another file under the name), so the saved progress stays small.
    const gone = [...files.keys()].filter((key) => !seen.has(key));
    if (gone.length > 0) {
      await this.#host.deliver([], { progress: gone.map((key) => [key, null] as const) });
      for (const key of gone) files.delete(key);
    }
  }

  /** Reads a file from where its framer stopped to its end, delivering each chunk's lines with the offset. */
  async #read(generation: number, file: FileState, idle: boolean): Promise<void> {
    const full = path.join(this.#config.path, file.name);
    let handle: FileHandle;
    try {
      handle = await open(full, 'r');
    } catch (err) {
      this.#unreadableFile(file.name, err);
      return;
    }
    try {
      if (this.#config.header && !file.headerSent && file.offset > 0) {
        // Resumed mid-file in a new process: the intake's CSV decoder learns the columns from the header again.
        const header = await firstLine(handle, this.#config.maxLineLength);
        if (header !== undefined) await this.#deliver(file, [this.#message(file, header)], file.offset);
      }
      file.headerSent = true;
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, file.fed);
        if (!this.#current(generation)) return;
        if (bytesRead === 0) break;
        const framer = (file.framer ??= lineFramer({
          eol: 'lf',
          maxLength: this.#config.maxLineLength,
          skipEmpty: true,
        }));
        const frames = framer.push(Buffer.from(buffer.subarray(0, bytesRead)));
        file.fed += bytesRead;
        await this.#deliver(file, this.#messages(file, frames), file.fed - framer.bufferedBytes);
        if (!this.#current(generation)) return;
      }
      // The last line has no newline yet. If the file has been left alone, the writer is done: take it.
      const framer = file.framer;
      if (framer !== undefined && framer.bufferedBytes > 0 && idle) {
        const { size } = await handle.stat();
        if (size === file.fed) {
          const frames = framer.push(Buffer.from('\n'));
          await this.#deliver(file, this.#messages(file, frames), file.fed);
        }
      }
      if (file.framer?.bufferedBytes === 0) file.framer = undefined;
      this.#unreadable.delete(file.name);
    } catch (err) {
      if (err instanceof DeliverError) throw err.cause;
      this.#unreadableFile(file.name, err);
      resetToOffset(file);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** Hands lines to the intake with the file's new offset; the offset moves only once they are durable. */
  async #deliver(file: FileState, messages: RawMessage[], offset: number): Promise<void> {
    if (messages.length === 0 && offset === file.offset) return;
    const progress: FileProgress = { name: file.name, offset };
    try {
      await this.#host.deliver(messages, { progress: [[file.key, progress]] });
    } catch (err) {
      throw new DeliverError(err);
    }
    file.offset = offset;
    this.lines += messages.length;
  }

  #messages(file: FileState, frames: readonly Frame[]): RawMessage[] {
    const now = Date.now();
    return frames.map((frame) => frameMessage(frame, file.name, now));
  }

  #message(file: FileState, payload: Buffer): RawMessage {
    return { payload, topic: file.name, arrivalMs: Date.now() };
  }

  #unreadableFile(name: string, err: unknown): void {
    if (this.#unreadable.has(name)) return;
    this.#unreadable.add(name);
    this.#host.log.warn({ receiver: this.id, file: name, err }, 'cannot read file; skipping it for now');
  }

  /** Ends the current connection because of err; the supervisor reconnects after a backoff. */
  #lost(generation: number, err: unknown): void {
    if (!this.#current(generation)) return;
    this.#live = false;
    this.#generation++;
    this.#stopWatching();
    const error = err instanceof Error ? err : new Error(String(err));
    this.#host.log.warn({ receiver: this.id, dir: this.#config.path, err: error }, 'file receiver stopped');
    this.#host.disconnected(error);
  }
}

/** A deliver() that failed: the store cannot take the lines (disk full), which ends the connection. */
class DeliverError extends Error {
  constructor(override readonly cause: unknown) {
    super('the intake refused lines', { cause });
  }
}

function newState(key: string, name: string, offset: number): FileState {
  return { key, name, offset, fed: offset, framer: undefined, headerSent: false };
}

/** Forgets what was fed past the saved offset: it is read again. */
function resetToOffset(file: FileState): void {
  file.fed = file.offset;
  file.framer = undefined;
}

/** The file's first line, without its end of line; undefined when it has none yet. */
async function firstLine(handle: FileHandle, maxLength: number): Promise<Buffer | undefined> {
  const buffer = Buffer.alloc(Math.min(maxLength + 2, CHUNK_BYTES));
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  const end = buffer.subarray(0, bytesRead).indexOf(0x0a);
  if (end === -1) return undefined;
  return Buffer.from(buffer.subarray(0, end > 0 && buffer[end - 1] === 0x0d ? end - 1 : end));
}
