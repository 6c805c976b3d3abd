// Sortable text keys for LevelDB: fixed-width decimal numbers, so byte order is numeric order.

const WIDTH = 16;

/** A non-negative integer as a fixed-width decimal string (sorts numerically). */
export function seqKey(n: number): string {
  return String(n).padStart(WIDTH, '0');
}

export function parseSeqKey(key: string): number {
  return Number(key);
}

/** An outbox key: batch time, then the output's position in the batch, so a recomputed batch overwrites itself. */
export function outboxKey(batchTimeMs: number, index: number): string {
  return `${seqKey(batchTimeMs)}/${String(index).padStart(8, '0')}`;
}
