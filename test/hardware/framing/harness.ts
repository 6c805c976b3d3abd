// Helpers for the framer tests: feed chunks, compare frame sequences, and the split-invariance checks every
// framer must pass (the same bytes split anywhere give the same frames).
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Frame, Framer } from '../../../hardware/framing/index.js';

/** A frame sequence in a form that compares and prints well. */
export type Seen = ['frame', string] | ['error', string, string];

export function seen(frames: readonly Frame[]): Seen[] {
  return frames.map((f) =>
    f.kind === 'frame' ? ['frame', f.data.toString('hex')] : ['error', f.code, f.raw.toString('hex')],
  );
}

/** Pushes every chunk, then flushes. */
export function run(framer: Framer, chunks: readonly Buffer[], flush = true): Frame[] {
  const out: Frame[] = [];
  for (const chunk of chunks) out.push(...framer.push(chunk));
  if (flush) out.push(...framer.flush());
  return out;
}

/** The bytes cut at the given offsets (any order, duplicates give empty chunks). */
export function chunksAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const sorted = [...cuts].map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of sorted) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Splitting at every single boundary, and byte by byte, gives the frames of one push. */
export function expectSplitInvariant(make: () => Framer, bytes: Buffer): Seen[] {
  const whole = seen(run(make(), [bytes]));
  for (let cut = 0; cut <= bytes.length; cut++) {
    expect(seen(run(make(), chunksAt(bytes, [cut]))), `split at ${cut}`).toEqual(whole);
  }
  expect(
    seen(
      run(
        make(),
        chunksAt(
          bytes,
          Array.from({ length: bytes.length }, (_, i) => i),
        ),
      ),
    ),
    'byte by byte',
  ).toEqual(whole);
  return whole;
}

/** Random splits of a stream: an arbitrary for [bytes, cuts]. */
export function withCuts(bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<[Buffer, number[]]> {
  return bytes.chain((b) => fc.tuple(fc.constant(b), fc.array(fc.nat(b.length), { maxLength: 12 })));
}

export const bytesArb = (options: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<Buffer> =>
  fc.uint8Array(options).map((a) => Buffer.from(a));

/** Feeds `total` bytes of garbage in chunks and returns the largest bufferedBytes seen. */
export function peakBuffered(framer: Framer, garbage: (i: number) => Buffer, total: number): number {
  let peak = 0;
  let fed = 0;
  for (let i = 0; fed < total; i++) {
    const chunk = garbage(i);
    framer.push(chunk);
    fed += chunk.length;
    peak = Math.max(peak, framer.bufferedBytes);
  }
  return peak;
}
