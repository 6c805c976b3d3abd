// The bounded buffer behind the delimiter-based framers (line, delimiter, inter-byte-timeout): it holds at most
// maxLength bytes; a frame that grows past that is reported as `overflow` errors of at most maxLength bytes each,
// and its tail too, so memory stays bounded and every dropped byte is accounted for.
import { frame, frameError, type Frame } from './types.js';

export class FrameAccumulator {
  private readonly buf: Buffer;
  private len = 0;
  /** The frame in progress already overflowed: its remaining bytes are reported, not framed. */
  private overflowed = false;

  constructor(private readonly maxLength: number) {
    this.buf = Buffer.alloc(maxLength);
  }

  get length(): number {
    return this.len;
  }

  /** Nothing held and no overflow in progress: the next frame can be handed out as a view of its chunk. */
  get empty(): boolean {
    return this.len === 0 && !this.overflowed;
  }

  get maxFrame(): number {
    return this.maxLength;
  }

  /** Appends chunk[start, end). */
  append(chunk: Uint8Array, start: number, end: number, out: Frame[]): void {
    let i = start;
    while (i < end) {
      if (this.len === this.maxLength) this.spill(out);
      const n = Math.min(end - i, this.maxLength - this.len);
      this.buf.set(chunk.subarray(i, i + n), this.len);
      this.len += n;
      i += n;
    }
  }

  appendByte(byte: number, out: Frame[]): void {
    if (this.len === this.maxLength) this.spill(out);
    this.buf[this.len++] = byte;
  }

  /**
   * A frame boundary: emits the frame (or the overflowed frame's tail as an error) and starts afresh. `finish`
   * turns the held bytes into the frame (SLIP unescapes them); by default they are the frame.
   */
  end(out: Frame[], skipEmpty: boolean, finish: (bytes: Buffer) => Frame = frame): void {
    if (this.overflowed) {
      if (this.len > 0) out.push(this.overflowError());
      this.overflowed = false;
    } else if (this.len > 0 || !skipEmpty) {
      out.push(finish(this.take()));
    }
    this.len = 0;
  }

  /** End of stream: what is held becomes a `truncated` error (or the overflow tail). */
  truncate(out: Frame[], what: string): void {
    if (this.len > 0) {
      out.push(
        this.overflowed
          ? this.overflowError()
          : frameError('truncated', `${what} cut short by the end of the stream`, this.take()),
      );
    }
    this.reset();
  }

  reset(): void {
    this.len = 0;
    this.overflowed = false;
  }

  private spill(out: Frame[]): void {
    out.push(this.overflowError());
    this.len = 0;
    this.overflowed = true;
  }

  private overflowError(): Frame {
    return frameError('overflow', `frame longer than ${this.maxLength} bytes`, this.take());
  }

  private take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}
