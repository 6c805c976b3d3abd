// Where benchmarked pipelines put their output: it keeps a checksum, so work cannot be optimized away and two
// contenders doing the same work can be checked to agree.

export interface Checksum {
  readonly rows: number;
  readonly total: number;
}

export class Sink {
  private rows = 0;
  private total = 0;

  /** One output row of up to three numbers. */
  emit(a: number, b = 0, c = 0): void {
    this.rows++;
    this.total += a + b + c;
  }

  checksum(): Checksum {
    return { rows: this.rows, total: this.total };
  }
}

/** Same row count and totals within floating-point noise. */
export function sameChecksum(a: Checksum, b: Checksum): boolean {
  return a.rows === b.rows && Math.abs(a.total - b.total) <= 1e-9 * Math.max(1, Math.abs(a.total));
}
