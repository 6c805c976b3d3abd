// Length-prefixed framing for binary protocols that send [preamble] [length] [payload]: the frame is the payload.
// There is no end marker, so after noise the framer slides one byte at a time until a preamble (if any) and a
// length within [minLength, maxLength] line up; the bytes skipped are reported as `garbage` errors. Without a
// preamble, noise that happens to read as a valid length swallows what follows: give a preamble when the device
// sends one.
import { checkMaxLength, DEFAULT_MAX_LENGTH, frame, frameError, type Frame, type Framer } from './types.js';

export interface LengthFramerOptions {
  /** Size of the length prefix in bytes. Default: 2. */
  prefixBytes?: 1 | 2 | 4;
  /** Byte order of the prefix. Default: `big`. */
  byteOrder?: 'big' | 'little';
  /** The length counts the prefix itself as well as the payload. Default: false. */
  lengthIncludesPrefix?: boolean;
  /** Sync bytes before each length prefix (not part of the frame). Default: none. */
  preamble?: Uint8Array | readonly number[] | string;
  /** Shortest payload accepted; a shorter length is taken for noise. Default: 1. */
  minLength?: number;
  /** Longest payload accepted; a longer length is taken for noise. Default: 4096. */
  maxLength?: number;
}

export function lengthFramer(options: LengthFramerOptions = {}): Framer {
  const prefixBytes = options.prefixBytes ?? 2;
  const little = options.byteOrder === 'little';
  const adjust = options.lengthIncludesPrefix === true ? prefixBytes : 0;
  const preamble =
    options.preamble === undefined
      ? Buffer.alloc(0)
      : typeof options.preamble === 'string'
        ? Buffer.from(options.preamble, 'utf8')
        : Buffer.from(options.preamble);
  const maxLength = checkMaxLength(options.maxLength ?? DEFAULT_MAX_LENGTH);
  const minLength = options.minLength ?? 1;
  if (!Number.isInteger(minLength) || minLength < 0 || minLength > maxLength) {
    throw new RangeError(`minLength must be an integer in [0, maxLength], got ${minLength}`);
  }
  const header = preamble.length + prefixBytes;
  const buf = Buffer.alloc(header + maxLength);
  let start = 0;
  let end = 0;
  const garbage = Buffer.alloc(maxLength);
  let garbageLen = 0;

  const readLength = (at: number): number => {
    switch (prefixBytes) {
      case 1:
        return buf[at] as number;
      case 2:
        return little ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
      case 4:
        return little ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
    }
  };

  const flushGarbage = (out: Frame[]): void => {
    if (garbageLen === 0) return;
    out.push(
      frameError(
        'garbage',
        `${garbageLen} bytes that do not start a valid frame`,
        Buffer.from(garbage.subarray(0, garbageLen)),
      ),
    );
    garbageLen = 0;
  };

  const skipByte = (out: Frame[]): void => {
    if (garbageLen === garbage.length) flushGarbage(out);
    garbage[garbageLen++] = buf[start++] as number;
  };

  /** Frames what the buffer holds; stops when it needs more bytes. */
  const process = (out: Frame[]): void => {
    for (;;) {
      const len = end - start;
      // The preamble, as far as the bytes held go.
      let synced = true;
      for (let k = 0; k < preamble.length && k < len; k++) {
        if (buf[start + k] !== preamble[k]) {
          synced = false;
          break;
        }
      }
      if (!synced) {
        skipByte(out);
        continue;
      }
      if (len < header) return;
      const body = readLength(start + preamble.length) - adjust;
      if (body < minLength || body > maxLength) {
        skipByte(out);
        continue;
      }
      if (len < header + body) return;
      flushGarbage(out);
      out.push(frame(Buffer.from(buf.subarray(start + header, start + header + body))));
      start += header + body;
    }
  };

  return {
    push(chunk) {
      const out: Frame[] = [];
      let i = 0;
      while (i < chunk.length) {
        if (end === buf.length) {
          buf.copy(buf, 0, start, end);
          end -= start;
          start = 0;
        }
        const n = Math.min(chunk.length - i, buf.length - end);
        buf.set(chunk.subarray(i, i + n), end);
        end += n;
        i += n;
        process(out);
      }
      return out;
    },
    tick: () => [],
    deadline: () => undefined,
    flush() {
      const out: Frame[] = [];
      flushGarbage(out);
      if (end > start) {
        out.push(
          frameError(
            'truncated',
            'frame cut short by the end of the stream',
            Buffer.from(buf.subarray(start, end)),
          ),
        );
      }
      start = end = 0;
      return out;
    },
    reset() {
      start = end = garbageLen = 0;
    },
    get bufferedBytes() {
      return end - start + garbageLen;
    },
  };
}
