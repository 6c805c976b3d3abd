// The file sink: appends each output as one JSON line, rotating by size. A crash can leave at most a torn last
// line, which the next open cuts off (its entry is still in the outbox and is written again).
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { OutboxEntry, Sink, SinkHost } from '../../types.js';
import type { FileSinkConfig } from './config.js';

export class FileSink implements Sink {
  private handle: FileHandle | undefined;
  private size = 0;
  private readonly file: string;

  constructor(
    readonly id: string,
    private readonly config: FileSinkConfig,
    private readonly host: SinkHost,
  ) {
    this.file = path.resolve(config.path);
  }

  async connect(): Promise<void> {
    await this.close();
    await mkdir(path.dirname(this.file), { recursive: true });
    const handle = await open(this.file, 'a+');
    try {
      this.size = await repairTornTail(handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
    this.handle = handle;
  }

  async send(entries: readonly OutboxEntry[]): Promise<void> {
    if (this.handle === undefined) throw new Error(`file sink ${this.id} is not open`);
    const data = Buffer.from(entries.map((e) => `${e.value}\n`).join(''));
    if (this.size > 0 && this.size + data.length > this.config.rotate.maxBytes) await this.rotate();
    const handle = this.handle;
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written);
      written += bytesWritten;
    }
    this.size += data.length;
    if (this.host.durability === 'fsync') await handle.datasync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  /** path → path.1 → path.2 …; the oldest beyond `keep` is deleted. */
  private async rotate(): Promise<void> {
    await this.close();
    const keep = this.config.rotate.keep;
    if (keep === 0) await rm(this.file, { force: true });
    else {
      await rm(`${this.file}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--)
        await rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(ignoreMissing);
      await rename(this.file, `${this.file}.1`);
    }
    this.host.log.info({ sink: this.id, file: this.file }, 'rotated');
    await this.connect();
  }
}

/** Cuts a partial last line (no trailing newline) left by a crash mid-write; returns the resulting size. */
async function repairTornTail(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  if (size === 0) return 0;
  const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
  let end = size;
  for (;;) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const view = chunk.subarray(0, bytesRead);
    if (end === size && view.at(-1) === 0x0a) return size;
    const nl = view.lastIndexOf(0x0a);
    if (nl >= 0) {
      await handle.truncate(start + nl + 1);
      return start + nl + 1;
    }
    if (start === 0) {
      await handle.truncate(0);
      return 0;
    }
    end = start;
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as { code?: string }).code !== 'ENOENT') throw err;
}
