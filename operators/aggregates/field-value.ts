// How a record field becomes an aggregate input: finite numbers and decimal numeric strings ("21.5", as many
// sensors send them) count; anything else (missing, null, "", "n/a", NaN, booleans) is skipped.

const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * The field value as a finite number, or NaN when the aggregate must skip it. Strings must be decimal
 * (optional sign, fraction and exponent, surrounding whitespace); hex, "", "Infinity" and overflowing
 * strings are skipped. −0 comes back as 0, which JSON checkpoints could not tell apart.
 */
export function toFiniteNumber(x: unknown): number {
  if (typeof x === 'number') return Number.isFinite(x) ? x + 0 : NaN;
  if (typeof x === 'string' && DECIMAL.test(x)) {
    const n = Number(x);
    return Number.isFinite(n) ? n + 0 : NaN;
  }
  return NaN;
}
