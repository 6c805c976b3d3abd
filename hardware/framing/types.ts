// The contract every serial framer keeps: a pure state machine that turns a byte stream, in chunks of any size,
// into frames, and reports what it cannot frame as error frames carrying the raw bytes (for dead letters).

/** Why bytes were not framed: kept short and stable, so they can label a metric. */
export type FrameErrorCode =
  /** A frame grew past the framer's maxLength; its bytes are reported in pieces of at most maxLength. */
  | 'overflow'
  /** Bytes between frames that do not start a valid frame (length framing, a length out of range). */
  | 'garbage'
  /** A SLIP escape byte followed by something other than ESC_END or ESC_ESC. */
  | 'bad-escape'
  /** A frame cut short by flush() (end of stream, port closed). */
  | 'truncated';

export type Frame =
  | { readonly kind: 'frame'; readonly data: Buffer }
  | {
      readonly kind: 'error';
      readonly code: FrameErrorCode;
      readonly reason: string;
      /** The bytes that were dropped, as they arrived on the wire (never more than maxLength). */
      readonly raw: Buffer;
    };

export interface Framer {
  /**
   * Feeds the next chunk and returns the frames it completes, in order. `nowMs` is when the chunk arrived (the
   * caller's clock); only time-based framing reads it. Never throws on any input. A frame may be a view of the
   * chunk's memory (no copy): the caller must not change a chunk after pushing it.
   */
  push(chunk: Buffer, nowMs?: number): Frame[];
  /** Lets time pass without data: returns frames that a silence completed (inter-byte-timeout), else []. */
  tick(nowMs: number): Frame[];
  /** When tick() should next be called, epoch ms, or undefined when no silence can complete a frame. */
  deadline(): number | undefined;
  /** End of stream: returns what is still buffered (a partial frame is a `truncated` error) and resets. */
  flush(): Frame[];
  /** Drops buffered bytes and state without reporting them (the port was reopened). */
  reset(): void;
  /** Bytes held right now: bounded by the framer's options, whatever the input. */
  readonly bufferedBytes: number;
}

export const frame = (data: Buffer): Frame => ({ kind: 'frame', data });

export const frameError = (code: FrameErrorCode, reason: string, raw: Buffer): Frame => ({
  kind: 'error',
  code,
  reason,
  raw,
});

/** Default largest frame, in bytes: a long NMEA or CSV line is ~100 bytes, a Modbus RTU ADU 256. */
export const DEFAULT_MAX_LENGTH = 4096;

export function checkMaxLength(maxLength: number): number {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  }
  return maxLength;
}
