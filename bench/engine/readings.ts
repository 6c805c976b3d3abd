// Deterministic sensor readings for the engine benchmark, generated before any timing: plain objects of one
// shape, keys drawn uniformly from a fixed set by a seeded PRNG, so every run and machine sees the same data.

/** A type alias, not an interface, so a reading is an AggregateInput (a record of unknown fields). */
export type Reading = { key: string; temp: number; hum: number };

/** mulberry32: a small, fast, seeded PRNG with uniform output in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The key names k0 … k(n−1), each one string shared by every reading of that key (as a decoder's cache would). */
export function keyNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `k${i}`);
}

/** count readings over keyCount keys: temp 15.0–35.0 °C in tenths, hum 30–69 %. */
export function readings(count: number, keyCount: number, seed = 1): Reading[] {
  const keys = keyNames(keyCount);
  const random = prng(seed);
  const out: Reading[] = [];
  for (let i = 0; i < count; i++) {
    const key = keys[Math.floor(random() * keyCount)] ?? 'k0';
    const temp = Math.round(150 + random() * 200) / 10;
    const hum = 30 + Math.floor(random() * 40);
    out.push({ key, temp, hum });
  }
  return out;
}

/** Consecutive slices of `size` items (the last may be shorter): one per 1 s batch. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
