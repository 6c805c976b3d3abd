// Line framing for text devices (CSV, key=value, NMEA, JSON lines): a frame is the bytes before an end of line,
// without it. Resynchronises on the next end of line after garbage; a line past maxLength becomes overflow errors.
import { FrameAccumulator } from './accumulator.js';
import { checkMaxLength, DEFAULT_MAX_LENGTH, frame, type Frame, type Framer } from './types.js';

/**
 * Which bytes end a line.
 * - `auto`: LF, CR LF or a lone CR (CR LF counts once). Takes any device as it comes.
 * - `lf`: LF or CR LF; a lone CR stays in the line.
 * - `crlf`: only CR LF; a lone CR or LF stays in the line.
 * - `cr`: only CR (old modems, some scales); LF stays in the line.
 */
export type LineEnding = 'auto' | 'lf' | 'crlf' | 'cr';

export interface LineFramerOptions {
  /** Default: `auto`. */
  eol?: LineEnding;
  /** Longest line in bytes, without its end of line. Default: 4096. */
  maxLength?: number;
  /** Drop empty lines instead of returning empty frames. Default: true. */
  skipEmpty?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;

export function lineFramer(options: LineFramerOptions = {}): Framer {
  const eol = options.eol ?? 'auto';
  const skipEmpty = options.skipEmpty ?? true;
  const acc = new FrameAccumulator(checkMaxLength(options.maxLength ?? DEFAULT_MAX_LENGTH));
  // lf/crlf: a CR seen and held back until we know whether LF follows. auto: the last byte was a CR ending a
  // line, so an LF right after it is the second half of CR LF.
  let pendingCr = false;
  let afterCr = false;
  const lfEnds = eol === 'auto' || eol === 'lf';
  const crEnds = eol === 'auto' || eol === 'cr';

  return {
    push(chunk) {
      const out: Frame[] = [];
      let i = 0;
      while (i < chunk.length) {
        const b = chunk[i] as number;
        if (pendingCr) {
          pendingCr = false;
          if (b === LF) {
            acc.end(out, skipEmpty);
            i++;
            continue;
          }
          acc.appendByte(CR, out); // a lone CR is part of the line in lf and crlf modes
        }
        if (afterCr) {
          afterCr = false;
          if (b === LF) {
            i++;
            continue;
          }
        }
        if (b === CR) {
          if (eol === 'auto' || eol === 'cr') {
            afterCr = eol === 'auto';
            acc.end(out, skipEmpty);
          } else {
            pendingCr = true;
          }
          i++;
          continue;
        }
        if (b === LF && (eol === 'auto' || eol === 'lf')) {
          acc.end(out, skipEmpty);
          i++;
          continue;
        }
        let j = i + 1;
        while (j < chunk.length && chunk[j] !== CR && chunk[j] !== LF) j++;
        // A whole line inside the chunk, ended by a byte that surely ends it: the frame is a view of the chunk
        // (no copy). Otherwise the bytes go through the accumulator.
        const end = chunk[j];
        const ends = (end === LF && lfEnds) || (end === CR && crEnds);
        if (ends && acc.empty && j - i <= acc.maxFrame) {
          out.push(frame(chunk.subarray(i, j)));
          afterCr = end === CR && eol === 'auto';
          i = j + 1;
          continue;
        }
        acc.append(chunk, i, j, out);
        i = j;
      }
      return out;
    },
    tick: () => [],
    deadline: () => undefined,
    flush() {
      const out: Frame[] = [];
      if (pendingCr) acc.appendByte(CR, out);
      acc.truncate(out, 'line');
      pendingCr = false;
      afterCr = false;
      return out;
    },
    reset() {
      acc.reset();
      pendingCr = false;
      afterCr = false;
    },
    get bufferedBytes() {
      return acc.length + (pendingCr ? 1 : 0);
    },
  };
}
