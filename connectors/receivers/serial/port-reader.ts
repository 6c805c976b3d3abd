// Reads an open port without serialport's Readable stream. On Linux and macOS (bindings-cpp's Unix bindings: a
// non-blocking file descriptor and a libuv poll handle on it) it waits for "readable" on the port's own poller
// and then reads on the event loop's thread until the kernel's buffer is empty: a tty read into memory we own is a
// copy of at most a few KiB, where the stream sends every read through the libuv thread pool (a thread wake-up
// and a callback per read) and, each time the buffer runs dry, a failed read that builds an EAGAIN error.
// Elsewhere (Windows) it reads through the binding's own read(), as the stream does, without the stream.
//
// What it reads goes into slabs of SLAB bytes it never writes twice, so a chunk (and every frame that is a view of
// it) stays valid after the next read. Writes (Modbus requests) still go through the SerialPort stream.
import { readSync } from 'node:fs';
import type { SerialPort } from 'serialport';

/** Bytes per slab: as the stream's read pool (its highWaterMark). */
const SLAB = 64 * 1024;
/** A slab with less room left than this is retired: a fast USB adapter hands over a few KiB per read. */
const MIN_ROOM = 4 * 1024;
/** Bytes read in one turn of the event loop before it lets other work run (the next turn reads on). */
const TURN_BYTES = 256 * 1024;

export interface PortReaderHandlers {
  /** Bytes read, in order. The chunk is not written to again. */
  data(chunk: Buffer): void;
  /** The read failed for good (the device is gone): the reader has stopped. */
  error(err: Error): void;
}

/** bindings-cpp's Unix port: its file descriptor (O_NONBLOCK) and its poller. */
interface UnixBindingPort {
  readonly fd: number | null;
  readonly poller: { once(event: 'readable', listener: (err: Error | null) => void): unknown };
}

/** Any binding's port: read() as the stream calls it. */
interface BindingPort {
  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }>;
}

function unixBinding(port: unknown): UnixBindingPort | undefined {
  const p = port as Partial<UnixBindingPort> | undefined;
  return typeof p?.fd === 'number' && typeof p.poller?.once === 'function'
    ? (p as UnixBindingPort)
    : undefined;
}

/** A read of 0 bytes from a readable tty: the line was hung up. */
const HUNG_UP = 'end of file: the device hung up (closed or unplugged?)';

/** bindings-cpp's error for a read or poll ended by close(). */
const isCanceled = (err: unknown): boolean => (err as { canceled?: unknown } | null)?.canceled === true;

const RETRY_CODES = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

export type PortReadMode = 'poll' | 'binding';

export class PortReader {
  readonly mode: PortReadMode;
  readonly #binding: BindingPort;
  readonly #unix: UnixBindingPort | undefined;
  readonly #on: PortReaderHandlers;
  #slab = Buffer.allocUnsafe(SLAB);
  #used = 0;
  #paused = false;
  #stopped = false;
  /** A poll for readable, or a binding read, is in flight. */
  #waiting = false;
  /** Bytes a binding read brought in after pause(), at #used: handed over on resume(). */
  #held = 0;

  /**
   * `port` must be open. `mode` forces a way of reading (tests); by default `poll` where the binding has a file
   * descriptor and a poller, else `binding`.
   */
  constructor(port: SerialPort, handlers: PortReaderHandlers, mode?: PortReadMode) {
    const binding = port.port as unknown;
    if (binding === undefined) throw new Error('the port is not open');
    this.#binding = binding as BindingPort;
    this.#unix = unixBinding(binding);
    this.mode = mode ?? (this.#unix === undefined ? 'binding' : 'poll');
    if (this.mode === 'poll' && this.#unix === undefined) throw new Error('this port has no poller');
    this.#on = handlers;
  }

  start(): void {
    this.#next();
  }

  /** Stops reading until resume(): the kernel's buffer (and RTS/CTS when on) holds the device back. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#held > 0) {
      const bytes = this.#held;
      this.#held = 0;
      this.#took(bytes);
    }
    this.#next();
  }

  /** True between pause() and resume(). */
  get paused(): boolean {
    return this.#paused;
  }

  /** For good: before the port is closed. */
  stop(): void {
    this.#stopped = true;
  }

  #next(): void {
    if (this.#waiting || this.#paused || this.#stopped) return;
    this.#waiting = true;
    if (this.mode === 'poll') {
      (this.#unix as UnixBindingPort).poller.once('readable', (err) => {
        this.#waiting = false;
        if (this.#stopped || isCanceled(err)) return; // closed: the port's own close event reports it
        this.#drain(err ?? undefined);
      });
    } else {
      this.#readThroughBinding();
    }
  }

  /** Room for the next read: the rest of the slab, or a fresh slab. */
  #room(): number {
    if (SLAB - this.#used < MIN_ROOM) {
      this.#slab = Buffer.allocUnsafe(SLAB);
      this.#used = 0;
    }
    return SLAB - this.#used;
  }

  /** Hands over bytes just read into the slab at #used. */
  #took(bytes: number): void {
    const chunk = this.#slab.subarray(this.#used, this.#used + bytes);
    this.#used += bytes;
    this.#on.data(chunk);
  }

  /**
   * Readable: reads until a short read (the kernel's buffer is empty), then polls again. After a poll error
   * (libuv reports a device's POLLERR as "bad file descriptor") the read says what went wrong (EIO, ENXIO), or
   * reads what is left before it does.
   */
  #drain(pollErr?: Error): void {
    let turn = 0;
    while (!this.#paused && !this.#stopped) {
      const fd = (this.#unix as UnixBindingPort).fd;
      if (fd === null) return; // closed: the port's close is reported by its own event
      const room = this.#room();
      let bytes: number;
      try {
        bytes = readSync(fd, this.#slab, this.#used, room, null);
      } catch (err) {
        const retry = RETRY_CODES.has((err as NodeJS.ErrnoException).code ?? '');
        if (retry && pollErr === undefined) break;
        this.#fail(
          retry ? new Error(`the device reported an error (${String(pollErr?.message)})`) : (err as Error),
        );
        return;
      }
      if (bytes === 0) {
        // Readable and nothing to read: end of file, which a tty gives once it is hung up (unplugged).
        this.#fail(new Error(HUNG_UP));
        return;
      }
      this.#took(bytes);
      turn += bytes;
      if (bytes < room || turn >= TURN_BYTES) break;
    }
    this.#next();
  }

  #readThroughBinding(): void {
    const room = this.#room();
    const slab = this.#slab;
    const at = this.#used;
    this.#binding.read(slab, at, room).then(
      ({ bytesRead }) => {
        this.#waiting = false;
        if (this.#stopped) return;
        if (bytesRead === 0) {
          this.#fail(new Error(HUNG_UP));
          return;
        }
        // One read is in flight at a time, so the slab and #used are still those of this read.
        if (this.#paused) {
          this.#held = bytesRead;
          return;
        }
        this.#took(bytesRead);
        this.#next();
      },
      (err: unknown) => {
        this.#waiting = false;
        if (this.#stopped || isCanceled(err)) return;
        this.#fail(err as Error);
      },
    );
  }

  /** Reports a failed read once, as a read error (a failed poll says only "bad file descriptor"). */
  #fail(err: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#on.error(err.message === HUNG_UP ? err : new Error(`read error: ${err.message}`, { cause: err }));
  }
}
