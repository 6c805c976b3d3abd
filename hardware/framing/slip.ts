// SLIP framing (RFC 1055) for binary sensors and microcontroller links: frames end with END (0xC0); END and ESC
// inside a frame are sent as ESC ESC_END and ESC ESC_ESC. An END always ends a frame, so the framer resynchronises
// on the next END after noise; a frame with a bad escape is an error carrying its raw bytes, not a frame.
import { FrameAccumulator } from './accumulator.js';
import { checkMaxLength, DEFAULT_MAX_LENGTH, frame, frameError, type Frame, type Framer } from './types.js';

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

export interface SlipFramerOptions {
  /**
   * Longest frame in bytes after unescaping. Default: 4096. The escaped bytes on the wire are held up to twice
   * that (every byte escaped); past it they are reported as `overflow` errors.
   */
  maxLength?: number;
}

function unescape(raw: Buffer): Frame {
  const out = Buffer.alloc(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (b !== SLIP_ESC) {
      out[n++] = b;
      continue;
    }
    const next = raw[++i];
    if (next === SLIP_ESC_END) out[n++] = SLIP_END;
    else if (next === SLIP_ESC_ESC) out[n++] = SLIP_ESC;
    else {
      const what =
        next === undefined
          ? 'at the end of the frame'
          : `followed by 0x${next.toString(16).padStart(2, '0')}`;
      return frameError('bad-escape', `SLIP escape byte 0xdb ${what} at offset ${i - 1}`, raw);
    }
  }
  return frame(out.subarray(0, n));
}

export function slipFramer(options: SlipFramerOptions = {}): Framer {
  const maxLength = checkMaxLength(options.maxLength ?? DEFAULT_MAX_LENGTH);
  const acc = new FrameAccumulator(2 * maxLength);
  const finish = (raw: Buffer): Frame => {
    const result = unescape(raw);
    return result.kind === 'frame' && result.data.length > maxLength
      ? frameError('overflow', `frame longer than ${maxLength} bytes`, raw)
      : result;
  };

  return {
    push(chunk) {
      const out: Frame[] = [];
      let i = 0;
      while (i < chunk.length) {
        const j = chunk.indexOf(SLIP_END, i);
        const stop = j === -1 ? chunk.length : j;
        acc.append(chunk, i, stop, out);
        if (j === -1) break;
        // RFC 1055: senders may put END before a frame too, to flush line noise; empty frames are dropped.
        acc.end(out, true, finish);
        i = j + 1;
      }
      return out;
    },
    tick: () => [],
    deadline: () => undefined,
    flush() {
      const out: Frame[] = [];
      acc.truncate(out, 'SLIP frame');
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

/** Encodes one frame for the wire, with an END before it (RFC 1055's recommendation) and after it. */
export function slipEncode(payload: Uint8Array, options: { leadingEnd?: boolean } = {}): Buffer {
  const bytes: number[] = options.leadingEnd === false ? [] : [SLIP_END];
  for (const b of payload) {
    if (b === SLIP_END) bytes.push(SLIP_ESC, SLIP_ESC_END);
    else if (b === SLIP_ESC) bytes.push(SLIP_ESC, SLIP_ESC_ESC);
    else bytes.push(b);
  }
  bytes.push(SLIP_END);
  return Buffer.from(bytes);
}
