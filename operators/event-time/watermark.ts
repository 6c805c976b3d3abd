// The event-time watermark of Structured Streaming: max event time seen minus the allowed lateness. It only
// moves forward; it moves at the end of a batch, so a batch's records are judged against the previous watermark.
import { EngineError } from '../engine-error.js';

export class Watermark {
  private maxEventMs = Number.NEGATIVE_INFINITY;
  private watermarkMs = Number.NEGATIVE_INFINITY;

  constructor(readonly allowedLatenessMs: number) {
    if (!Number.isFinite(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new EngineError(
        'SLUICE_ENGINE_INVALID_DURATION',
        `allowedLatenessMs must be a non-negative number of milliseconds, got ${String(allowedLatenessMs)}`,
      );
    }
  }

  /** The current watermark (−Infinity before any record). */
  get current(): number {
    return this.watermarkMs;
  }

  observe(eventMs: number): void {
    if (eventMs > this.maxEventMs) this.maxEventMs = eventMs;
  }

  /** Moves the watermark to max event time − lateness (never backwards) and returns it. */
  advance(): number {
    const candidate = this.maxEventMs - this.allowedLatenessMs;
    if (candidate > this.watermarkMs) this.watermarkMs = candidate;
    return this.watermarkMs;
  }

  snapshot(): { maxEventMs: number | null; watermarkMs: number | null } {
    return { maxEventMs: finiteOrNull(this.maxEventMs), watermarkMs: finiteOrNull(this.watermarkMs) };
  }

  restore(snapshot: unknown): void {
    const s = snapshot as { maxEventMs?: unknown; watermarkMs?: unknown } | null;
    if (s === null || typeof s !== 'object') {
      throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'watermark snapshot is malformed');
    }
    this.maxEventMs = typeof s.maxEventMs === 'number' ? s.maxEventMs : Number.NEGATIVE_INFINITY;
    this.watermarkMs = typeof s.watermarkMs === 'number' ? s.watermarkMs : Number.NEGATIVE_INFINITY;
  }
}

function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}
