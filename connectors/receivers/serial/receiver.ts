// The serial receiver: opens a port exclusively, cuts what it reads into frames and hands them to the intake at
// once (serial input has no acknowledgement: a frame is in the WAL as soon as deliver() resolves). Bytes it
// cannot frame go to the intake as dead letters (RawMessage.error). With format: modbus it is the bus master and
// polls one device or several (modbus-poller.ts).
//
// Reading: PortReader (port-reader.ts) reads the open port through its binding, not the SerialPort stream;
// writes (Modbus requests) still use the stream.
//
// Hot-plug: a close event, a read error, a hung-up tty or a configured silence ends the connection; the receiver reports
// host.disconnected() and the supervisor calls connect() again with backoff. connect() closes the old port object
// first (its flock would otherwise make the reopen fail with "Cannot lock port"), checks the path, reopens, and
// resets the framer. Frames already cut were delivered; frames read but not yet delivered wait in the queue and
// go first on the next connection, so nothing read is lost.
//
// Backpressure: one deliver() at a time; frames read meanwhile queue and ride on the next deliver() (reading on
// while the WAL writes, as the MQTT receiver does). Once READ_AHEAD frames wait, the port is paused, so the
// kernel's buffer (and RTS/CTS when on) holds the device back, until the next deliver() takes them.
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { createFramer, type Frame, type Framer } from '../../../hardware/framing/index.js';
import type { RawMessage, Receiver, ReceiverHost } from '../../types.js';
import type { SerialReceiverConfig } from './config.js';
import { PortReader } from './port-reader.js';
import { ModbusPoller, type ModbusBusDevice, type PollOutcome } from './modbus-poller.js';

export type SerialReceiverErrorKind =
  'missing' | 'permission' | 'busy' | 'open' | 'lost' | 'deliver' | 'closed';

export class SerialReceiverError extends Error {
  override readonly name = 'SerialReceiverError';
  constructor(
    readonly kind: SerialReceiverErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The error connect() gives for a failed open, with what to do about it. */
export function openError(path: string, err: unknown): SerialReceiverError {
  const code = (err as { code?: unknown } | undefined)?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT' || /no such file/i.test(text)) {
    return new SerialReceiverError(
      'missing',
      `serial device ${path} not found: is it plugged in? Check the path with \`ls -l /dev/serial/by-id/\` or \`sluice ports\``,
      { cause: err },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || /permission denied/i.test(text)) {
    return new SerialReceiverError(
      'permission',
      `permission denied opening ${path}: add the service user to the dialout group (sudo usermod -aG dialout sluice) and restart the service`,
      { cause: err },
    );
  }
  if (/cannot lock port/i.test(text)) {
    return new SerialReceiverError(
      'busy',
      `${path} is in use by another process (ports are opened exclusively): find it with \`fuser -v ${path}\``,
      { cause: err },
    );
  }
  return new SerialReceiverError('open', `cannot open ${path}: ${text}`, { cause: err });
}

/**
 * Frames read while a delivery is pending before the port is paused: as many as the MQTT receiver reads ahead of
 * the WAL. Serial has no acknowledgement, so they are no more at risk than bytes in the kernel's buffer.
 */
export const READ_AHEAD = 1000;

/** How often a connected port's path is checked for existence (an unplugged device's node disappears). */
const PATH_CHECK_MS = 1000;

/** Printable bytes kept in a frame error's reason: the raw bytes themselves go in the dead letter. */
const HEX_PREVIEW = 32;

function frameMessage(frame: Frame, topic: string, arrivalMs: number): RawMessage {
  if (frame.kind === 'frame') return { payload: frame.data, topic, arrivalMs };
  const hex = frame.raw.subarray(0, HEX_PREVIEW).toString('hex');
  return {
    payload: frame.raw,
    topic,
    arrivalMs,
    error: `framing ${frame.code}: ${frame.reason} (${frame.raw.length} bytes: ${hex}${frame.raw.length > HEX_PREVIEW ? '…' : ''})`,
  };
}

/** One open port; replaced on every connect(). */
class Connection {
  live = true;
  /** Paused because READ_AHEAD frames wait for the intake. */
  paused = false;
  silenceTimer: NodeJS.Timeout | undefined;
  tickTimer: NodeJS.Timeout | undefined;
  /** Checks that the device's path still exists (see #watchPath). */
  pathTimer: NodeJS.Timeout | undefined;
  /** Set once release began: resolves when the port is closed. Awaited by the next connect(). */
  released: Promise<void> | undefined;
  /** Set once the port is open: reads it (see port-reader.ts). */
  reader: PortReader | undefined;
  constructor(readonly port: SerialPort) {}
}

export class SerialReceiver implements Receiver {
  readonly #config: SerialReceiverConfig;
  readonly #host: ReceiverHost;
  readonly #framer: Framer;
  #conn: Connection | undefined;
  #poller: ModbusPoller | undefined;
  /** Messages read and not yet handed to the intake: survives reconnects. */
  #queue: RawMessage[] = [];
  #delivering = false;
  /** A #deliverNext() is scheduled (setImmediate). */
  #deliverScheduled = false;
  #closed = false;
  /** Framing errors and failed polls, since start. */
  frameErrors = 0;
  /** Ports opened, since start. */
  opens = 0;

  constructor(
    readonly id: string,
    config: SerialReceiverConfig,
    host: ReceiverHost,
  ) {
    this.#config = config;
    this.#host = host;
    this.#framer = createFramer(config.framing);
  }

  /** The port object of the current connection (tests check the previous one is closed). */
  get port(): SerialPort | undefined {
    return this.#conn?.port;
  }

  /** Whether reading is paused for backpressure (undefined: no open port). */
  get readPaused(): boolean | undefined {
    return this.#conn?.reader?.paused;
  }

  /** Bytes read and held by the framer: a frame not complete yet. */
  get bufferedBytes(): number {
    return this.#framer.bufferedBytes;
  }

  /** True while a deliver() is pending. */
  get delivering(): boolean {
    return this.#delivering;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new SerialReceiverError('closed', 'the receiver is closed');
    const previous = this.#conn;
    this.#conn = undefined;
    if (previous !== undefined) await this.#release(previous);
    const { path } = this.#config;
    try {
      await access(path, fsConstants.R_OK | fsConstants.W_OK);
    } catch (err) {
      throw openError(path, err);
    }
    const port = new SerialPort({
      path,
      baudRate: this.#config.baudRate,
      dataBits: this.#config.dataBits,
      parity: this.#config.parity,
      stopBits: this.#config.stopBits,
      rtscts: this.#config.rtscts,
      lock: true,
      autoOpen: false,
    });
    // An 'error' without a listener would crash the process; until the connection is live, errors come via open.
    port.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) reject(openError(path, err));
        else resolve();
      });
    });
    if (this.#isClosed()) {
      await closePort(port);
      throw new SerialReceiverError('closed', 'the receiver was closed while connecting');
    }
    const conn = new Connection(port);
    this.#conn = conn;
    this.opens++;
    this.#framer.reset();
    // Read through the binding, not the stream's 'data' events (port-reader.ts); writes still use the stream.
    conn.reader = new PortReader(port, {
      data: (chunk) => {
        this.#onData(conn, chunk);
      },
      error: (err) => {
        this.#lost(conn, new SerialReceiverError('lost', `${path}: ${err.message}`, { cause: err }));
      },
    });
    port.on('error', (err: Error) => {
      this.#lost(conn, new SerialReceiverError('lost', `${path}: ${err.message}`, { cause: err }));
    });
    port.on('close', (err: Error | null) => {
      this.#lost(
        conn,
        new SerialReceiverError(
          'lost',
          `${path} closed${err ? `: ${err.message}` : ''} (device unplugged?); reopening when it is back`,
          { cause: err },
        ),
      );
    });
    this.#host.log.info({ receiver: this.id, path, baudRate: this.#config.baudRate }, 'serial port open');
    if (this.#config.modbusDevices !== undefined) this.#startPoller(conn, this.#config.modbusDevices);
    this.#armSilence(conn);
    this.#watchPath(conn, path);
    conn.reader.start();
    // What was read before an unplug and not yet delivered goes first.
    if (this.#queue.length > 0) this.#deliverNext();
  }

  /** `closed`, read after an await (a method, so that no earlier check narrows it). */
  #isClosed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn !== undefined) await this.#release(conn);
  }

  #startPoller(conn: Connection, devices: readonly ModbusBusDevice[]): void {
    const framing = this.#config.framing;
    const poller = new ModbusPoller(devices, {
      gapMs: framing.type === 'inter-byte-timeout' ? framing.gapMs : 50,
      write: (bytes) =>
        new Promise<void>((resolve, reject) => {
          conn.port.write(bytes, (err) => {
            if (err) reject(err);
            else
              conn.port.drain((drainErr) => {
                if (drainErr) reject(drainErr);
                else resolve();
              });
          });
        }),
      ready: () => conn.live && this.#queue.length < READ_AHEAD,
      onPoll: (outcome) => {
        this.#onPoll(outcome);
      },
    });
    this.#poller = poller;
    poller.start();
  }

  #onPoll(outcome: PollOutcome): void {
    const topic = this.#config.path;
    const device = outcome.device;
    if (outcome.ok) {
      // One of several devices on the bus: the record says which (its default key).
      const fields = device === undefined ? outcome.fields : { device, ...outcome.fields };
      this.#queue.push({ payload: Buffer.from(JSON.stringify(fields)), topic, arrivalMs: outcome.atMs });
    } else {
      this.frameErrors++;
      this.#queue.push({
        payload: outcome.raw,
        topic,
        arrivalMs: outcome.atMs,
        error: `modbus${device === undefined ? '' : ` ${device}`}: ${outcome.reason}`,
      });
    }
    this.#deliverOrHold();
  }

  #onData(conn: Connection, chunk: Buffer): void {
    if (!conn.live) return;
    conn.silenceTimer?.refresh();
    if (this.#poller !== undefined) {
      this.#poller.feed(chunk);
      return;
    }
    const now = Date.now();
    this.#take(this.#framer.push(chunk, now), now);
    this.#armTick(conn);
  }

  /** Queues frames for the intake (errors as dead letters) and delivers unless a delivery is pending. */
  #take(frames: readonly Frame[], now: number): void {
    if (frames.length === 0) return;
    for (const frame of frames) {
      if (frame.kind === 'error') this.frameErrors++;
      this.#queue.push(frameMessage(frame, this.#config.path, now));
    }
    this.#deliverOrHold();
  }

  /**
   * Delivers on the next turn of the event loop (see #deliverSoon), or (a delivery is pending) pauses the port
   * once READ_AHEAD frames wait.
   */
  #deliverOrHold(): void {
    if (!this.#delivering) {
      this.#deliverSoon();
      return;
    }
    const conn = this.#conn;
    if (this.#queue.length < READ_AHEAD || conn?.live !== true || conn.paused) return;
    conn.paused = true;
    conn.reader?.pause();
    // The device is not silent, we are not listening: the silence clock stops too.
    clearTimeout(conn.silenceTimer);
  }

  /** Time-based framing: completes a frame when the line stays silent. */
  #armTick(conn: Connection): void {
    clearTimeout(conn.tickTimer);
    const deadline = this.#framer.deadline();
    if (deadline === undefined) return;
    conn.tickTimer = setTimeout(
      () => {
        if (!conn.live) return;
        const now = Date.now();
        this.#take(this.#framer.tick(now), now);
        this.#armTick(conn);
      },
      Math.max(0, deadline - Date.now()),
    );
  }

  /**
   * An unplugged USB adapter's device node (and its /dev/serial/by-id link) disappears. The port's close or read
   * error usually says so first, but not always: a port with no read in flight at that moment can sit on a dead
   * file descriptor. So the path is checked every PATH_CHECK_MS as well, and its disappearance is an unplug.
   */
  #watchPath(conn: Connection, path: string): void {
    conn.pathTimer = setInterval(() => {
      stat(path).then(
        () => undefined,
        (err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
          this.#lost(
            conn,
            new SerialReceiverError(
              'lost',
              `${path} is gone (device unplugged?); reopening when it is back`,
              {
                cause: err,
              },
            ),
          );
        },
      );
    }, PATH_CHECK_MS);
    conn.pathTimer.unref();
  }

  #armSilence(conn: Connection): void {
    const silence = this.#config.silence;
    if (silence === undefined || silence <= 0 || !conn.live) return;
    clearTimeout(conn.silenceTimer);
    conn.silenceTimer = setTimeout(() => {
      this.#lost(
        conn,
        new SerialReceiverError(
          'lost',
          `no data from ${this.#config.path} for ${silence} ms (silence); reopening the port`,
        ),
      );
    }, silence);
  }

  /**
   * Delivers in the check phase of this turn of the event loop, after the reader has read all the port had
   * (one deliver() takes every frame of those reads: ~1 to 9 pty buffers of 4 KiB in the serial benchmark), not
   * inside each read: frames read meanwhile ride on the next delivery.
   */
  #deliverSoon(): void {
    if (this.#deliverScheduled) return;
    this.#deliverScheduled = true;
    setImmediate(() => {
      this.#deliverScheduled = false;
      this.#deliverNext();
    });
  }

  #deliverNext(): void {
    if (this.#delivering || this.#queue.length === 0 || this.#closed) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#delivering = true;
    // The queue is empty again: a port paused for it reads on.
    const conn = this.#conn;
    if (conn?.live === true && conn.paused) {
      conn.paused = false;
      conn.reader?.resume();
      this.#armSilence(conn);
    }
    this.#host.deliver(batch).then(
      () => {
        this.#delivering = false;
        this.#deliverNext();
      },
      (err: unknown) => {
        this.#delivering = false;
        // Kept for the next connection: serial has no redelivery, so these are not dropped.
        this.#queue = [...batch, ...this.#queue];
        const current = this.#conn;
        this.#host.log.warn(
          { receiver: this.id, err, held: this.#queue.length },
          'intake refused serial frames',
        );
        if (current !== undefined) {
          this.#lost(
            current,
            new SerialReceiverError(
              'deliver',
              'the intake refused frames (disk full?); the port is closed until it takes them',
              { cause: err },
            ),
          );
        }
      },
    );
  }

  /** Ends a connection because of err and reports it; the supervisor reconnects. */
  #lost(conn: Connection, err: SerialReceiverError): void {
    if (!conn.live || this.#closed) return;
    // A frame cut off by the unplug is a truncated frame: a dead letter, not lost silently.
    if (this.#poller === undefined) this.#take(this.#framer.flush(), Date.now());
    void this.#release(conn);
    this.#host.log.warn({ receiver: this.id, path: this.#config.path, err }, 'serial port lost');
    this.#host.disconnected(err);
  }

  /**
   * Stops everything on a connection and closes its port; resolves once the port is closed. Idempotent: a second
   * call waits for the first close (a port that is closing already reports isOpen false).
   */
  #release(conn: Connection): Promise<void> {
    conn.released ??= this.#releaseOnce(conn);
    return conn.released;
  }

  async #releaseOnce(conn: Connection): Promise<void> {
    conn.live = false;
    clearTimeout(conn.silenceTimer);
    clearTimeout(conn.tickTimer);
    clearInterval(conn.pathTimer);
    conn.reader?.stop();
    if (this.#poller !== undefined) {
      this.#poller.stop();
      this.#poller = undefined;
    }
    conn.port.removeAllListeners('close');
    await closePort(conn.port);
  }
}

/** Closes a port if it is open (its lock goes with the file descriptor); never rejects. */
async function closePort(port: SerialPort): Promise<void> {
  if (port.isOpen) {
    await new Promise<void>((resolve) => {
      port.close(() => {
        resolve();
      });
    });
  }
  if (!port.destroyed) port.destroy();
}
