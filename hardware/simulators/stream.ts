// Writes a simulated device's lines to a serial port (the device side of a pty pair, or a real adapter looped
// back) at a steady rate, or as fast as the port drains; shared by the simulator CLI, tests and the benchmark.
import { SerialPort } from 'serialport';

export interface WriteLinesOptions {
  /** Lines per second; Infinity: as fast as the port takes them. Default: 10. */
  rate?: number;
  /** Stop after this many lines. Default: no limit (until the signal aborts). */
  count?: number;
  /** Stops the writing; the promise then resolves with the lines written. */
  signal?: AbortSignal;
  /** Line end. Default: `\n`. */
  eol?: string;
}

/** Opens a port (8N1) and resolves once it is open. */
export async function openSimulatorPort(path: string, baudRate = 115_200): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  return port;
}

/** Writes bytes and resolves once they left the process (the kernel has them). */
export function writeAndDrain(port: SerialPort, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(data, (err) => {
      if (err) reject(err);
      else
        port.drain((drainErr) => {
          if (drainErr) reject(drainErr);
          else resolve();
        });
    });
  });
}

/** Closes a port if it is open; never rejects. */
export function closeSimulatorPort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) {
      resolve();
      return;
    }
    port.close(() => {
      resolve();
    });
  });
}

const TICK_MS = 20;
/** Lines per write when writing as fast as possible. */
const BURST = 256;

/** Writes `next()` lines at the rate until count or the signal; resolves with the number of lines written. */
export async function writeLines(
  port: SerialPort,
  next: () => string,
  options: WriteLinesOptions = {},
): Promise<number> {
  const rate = options.rate ?? 10;
  const count = options.count ?? Infinity;
  const eol = options.eol ?? '\n';
  if (!(rate > 0)) throw new RangeError('rate must be above 0 lines per second');
  const started = performance.now();
  let sent = 0;
  while (sent < count && options.signal?.aborted !== true) {
    const due = rate === Infinity ? sent + BURST : Math.floor(((performance.now() - started) * rate) / 1000);
    const n = Math.min(due, count) - sent;
    if (n > 0) {
      let chunk = '';
      for (let i = 0; i < n; i++) chunk += next() + eol;
      await writeAndDrain(port, chunk);
      sent += n;
    } else {
      await new Promise((resolve) => setTimeout(resolve, Math.min(TICK_MS, Math.ceil(1000 / rate))));
    }
  }
  return sent;
}
