// Delimiter framing for binary or text protocols that end each frame with a fixed byte sequence (`0x7E`,
// `\r\n>`, `ETX`): a frame is the bytes before the delimiter. The delimiter is matched across chunk boundaries
// (Knuth–Morris–Pratt), so how the port splits the stream never changes the frames.
import { FrameAccumulator } from './accumulator.js';
import { checkMaxLength, DEFAULT_MAX_LENGTH, type Frame, type Framer } from './types.js';

export interface DelimiterFramerOptions {
  /** The byte sequence that ends a frame (not part of the frame). Required, at least one byte. */
  delimiter: Uint8Array | readonly number[] | string;
  /** Longest frame in bytes, without the delimiter. Default: 4096. */
  maxLength?: number;
  /** Drop empty frames (two delimiters in a row). Default: true. */
  skipEmpty?: boolean;
}

/** KMP failure function: fail[k] = length of the longest proper border of d[0..k]. */
function failureTable(d: Uint8Array): number[] {
  const fail: number[] = [0];
  let k = 0;
  for (let i = 1; i < d.length; i++) {
    while (k > 0 && d[i] !== d[k]) k = fail[k - 1] as number;
    if (d[i] === d[k]) k++;
    fail.push(k);
  }
  return fail;
}

export function delimiterFramer(options: DelimiterFramerOptions): Framer {
  const d =
    typeof options.delimiter === 'string'
      ? Buffer.from(options.delimiter, 'utf8')
      : Buffer.from(options.delimiter);
  if (d.length === 0) throw new RangeError('delimiter must be at least one byte');
  const first = d[0] as number;
  const fail = failureTable(d);
  const skipEmpty = options.skipEmpty ?? true;
  const acc = new FrameAccumulator(checkMaxLength(options.maxLength ?? DEFAULT_MAX_LENGTH));
  let matched = 0; // bytes of the delimiter matched so far (held implicitly: they are d[0..matched))

  return {
    push(chunk) {
      const out: Frame[] = [];
      let i = 0;
      while (i < chunk.length) {
        if (matched === 0) {
          const j = chunk.indexOf(first, i);
          const stop = j === -1 ? chunk.length : j;
          acc.append(chunk, i, stop, out);
          i = stop;
          if (i === chunk.length) break;
        }
        const b = chunk[i++] as number;
        while (matched > 0 && d[matched] !== b) {
          const shorter = fail[matched - 1] as number;
          acc.append(d, 0, matched - shorter, out);
          matched = shorter;
        }
        if (d[matched] === b) {
          matched++;
          if (matched === d.length) {
            matched = 0;
            acc.end(out, skipEmpty);
          }
        } else {
          acc.appendByte(b, out);
        }
      }
      return out;
    },
    tick: () => [],
    deadline: () => undefined,
    flush() {
      const out: Frame[] = [];
      acc.append(d, 0, matched, out);
      matched = 0;
      acc.truncate(out, 'frame');
      return out;
    },
    reset() {
      acc.reset();
      matched = 0;
    },
    get bufferedBytes() {
      return acc.length + matched;
    },
  };
}
