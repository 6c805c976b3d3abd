// Shared by the window operators: lengths and slides are positive multiples of the parent's slide; pane size.
import type { DStream } from '../dstream.js';
import { EngineError } from '../engine-error.js';

export function checkWindow(parent: DStream<unknown>, op: string, windowMs: number, slideMs: number): void {
  const p = parent.slideMs;
  for (const [what, ms] of [
    ['window length', windowMs],
    ['slide', slideMs],
  ] as const) {
    if (!Number.isInteger(ms) || ms <= 0 || ms % p !== 0) {
      throw new EngineError(
        'SLUICE_ENGINE_INVALID_DURATION',
        `${op}: the ${what} (${String(ms)} ms) must be a positive multiple of the parent stream's slide (${p} ms)`,
        `use a multiple of ${p} ms, for example ${p * Math.max(1, Math.round(ms / p) || 1)}`,
      );
    }
  }
}

/** Greatest common divisor: the pane size that tiles both a window length and its slide. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
