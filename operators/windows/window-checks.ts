// Validation shared by every window operator: lengths and slides are positive multiples of the parent's slide.
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
