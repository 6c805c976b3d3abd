// Keeps a parent stream's recent batches for a window operator, seeing every parent batch (even between the
// window's own output times) and checkpointing them, since the input they came from is gone after a commit.
import type { DStream } from '../dstream.js';
import { EngineError } from '../engine-error.js';

interface BufferSnapshot {
  observedMs: number | null;
  batches: [number, unknown[]][];
}

export class ParentBuffer<T> {
  private readonly batches = new Map<number, readonly T[]>();
  private observedMs = Number.NEGATIVE_INFINITY;

  /** keepMs: batches at times ≤ now − keepMs are dropped. */
  constructor(
    private readonly parent: DStream<T>,
    private readonly keepMs: number,
  ) {}

  /** Records the parent's batch at timeMs; idempotent per time. */
  advance(timeMs: number): void {
    if (timeMs <= this.observedMs) return;
    this.observedMs = timeMs;
    const batch = this.parent.getOrCompute(timeMs);
    if (batch !== null) this.batches.set(timeMs, batch);
    const horizon = timeMs - this.keepMs;
    for (const t of this.batches.keys()) {
      if (t > horizon) break;
      this.batches.delete(t);
    }
  }

  /** The kept batches at times in (fromMs, toMs], oldest first. */
  range(fromMs: number, toMs: number): (readonly T[])[] {
    const out: (readonly T[])[] = [];
    for (const [t, b] of this.batches) if (t > fromMs && t <= toMs) out.push(b);
    return out;
  }

  snapshot(): BufferSnapshot {
    return {
      observedMs: Number.isFinite(this.observedMs) ? this.observedMs : null,
      batches: [...this.batches].map(([t, b]) => [t, b.slice()]),
    };
  }

  restore(snapshot: unknown): void {
    const s = snapshot as Partial<BufferSnapshot> | null;
    if (s === null || typeof s !== 'object' || !Array.isArray(s.batches)) {
      throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'window buffer snapshot is malformed');
    }
    this.batches.clear();
    for (const [t, b] of s.batches) this.batches.set(t, b as T[]);
    this.observedMs = s.observedMs ?? Number.NEGATIVE_INFINITY;
  }
}
