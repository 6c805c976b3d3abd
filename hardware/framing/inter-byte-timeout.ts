// Inter-byte-timeout framing for devices that mark the end of a frame by falling silent (Modbus RTU's 3.5
// character times, many binary sensors): a frame is the bytes received until a gap of at least gapMs. No timers
// inside: each chunk comes with its arrival time, and tick(nowMs) lets a silence end the last frame; deadline()
// tells the caller when to tick.
import { FrameAccumulator } from './accumulator.js';
import { checkMaxLength, DEFAULT_MAX_LENGTH, type Frame, type Framer } from './types.js';

export interface InterByteTimeoutFramerOptions {
  /** Silence that ends a frame, ms. Required. Over USB adapters allow for their latency (FTDI: 16 ms by default). */
  gapMs: number;
  /** Longest frame in bytes. Default: 4096. */
  maxLength?: number;
}

export function interByteTimeoutFramer(options: InterByteTimeoutFramerOptions): Framer {
  const { gapMs } = options;
  if (!(Number.isFinite(gapMs) && gapMs > 0)) throw new RangeError(`gapMs must be positive, got ${gapMs}`);
  const acc = new FrameAccumulator(checkMaxLength(options.maxLength ?? DEFAULT_MAX_LENGTH));
  let lastMs = 0; // arrival time of the last byte held

  const silenceEnds = (nowMs: number, out: Frame[]): void => {
    if (acc.length > 0 && nowMs - lastMs >= gapMs) acc.end(out, true);
  };

  return {
    /** Without nowMs the chunk counts as arriving with the previous one (no gap). */
    push(chunk, nowMs) {
      const out: Frame[] = [];
      const now = nowMs ?? lastMs;
      silenceEnds(now, out);
      if (chunk.length > 0) {
        acc.append(chunk, 0, chunk.length, out);
        lastMs = now;
      }
      return out;
    },
    tick(nowMs) {
      const out: Frame[] = [];
      silenceEnds(nowMs, out);
      return out;
    },
    deadline: () => (acc.length > 0 ? lastMs + gapMs : undefined),
    flush() {
      // The stream ended: nothing more can belong to the frame, so it is complete rather than truncated.
      const out: Frame[] = [];
      acc.end(out, true);
      return out;
    },
    reset() {
      acc.reset();
    },
    get bufferedBytes() {
      return acc.length;
    },
  };
}
