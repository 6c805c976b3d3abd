// Key identity for pair streams: primitives compare by value, composite keys (tuples, objects) by their JSON form,
// as Spark compares keys with equals/hashCode rather than by reference.

/** The identity a key is grouped under. Primitives are their own identity. */
export type KeyId = string | number | boolean | bigint | symbol | null | undefined;

const COMPOSITE = '\u0000k:';

export function keyId(key: unknown): KeyId {
  if (key === null || typeof key !== 'object') return key as KeyId;
  return COMPOSITE + JSON.stringify(key);
}

/** A Map keyed by key identity that keeps the first original key it saw; iteration is insertion order. */
export class KeyMap<K, V> {
  private readonly map = new Map<KeyId, [K, V]>();

  get size(): number {
    return this.map.size;
  }
  get(key: K): V | undefined {
    return this.map.get(keyId(key))?.[1];
  }
  has(key: K): boolean {
    return this.map.has(keyId(key));
  }
  set(key: K, value: V): void {
    const id = keyId(key);
    const entry = this.map.get(id);
    if (entry === undefined) this.map.set(id, [key, value]);
    else entry[1] = value;
  }
  delete(key: K): boolean {
    return this.map.delete(keyId(key));
  }
  /** Stores value under key, or f(existing, value) when the key is present. */
  merge(key: K, value: V, f: (a: V, b: V) => V): void {
    const id = keyId(key);
    const entry = this.map.get(id);
    if (entry === undefined) this.map.set(id, [key, value]);
    else entry[1] = f(entry[1], value);
  }
  /** Returns the value under key, creating it with make() when absent. */
  getOrCreate(key: K, make: () => V): V {
    const id = keyId(key);
    const entry = this.map.get(id);
    if (entry !== undefined) return entry[1];
    const value = make();
    this.map.set(id, [key, value]);
    return value;
  }
  *entries(): IterableIterator<[K, V]> {
    for (const [k, v] of this.map.values()) yield [k, v];
  }
  *keys(): IterableIterator<K> {
    for (const entry of this.map.values()) yield entry[0];
  }
  clear(): void {
    this.map.clear();
  }
  /** The entries as [key, value] pairs (fresh tuples), for output batches and snapshots. */
  toPairs(): [K, V][] {
    const out: [K, V][] = [];
    for (const [k, v] of this.map.values()) out.push([k, v]);
    return out;
  }
  static fromPairs<K, V>(pairs: Iterable<readonly [K, V]>): KeyMap<K, V> {
    const m = new KeyMap<K, V>();
    for (const [k, v] of pairs) m.set(k, v);
    return m;
  }
}

/** Groups pair values by key, keeping first-seen key order and arrival order of values. */
export function groupByKey<K, V>(pairs: Iterable<readonly [K, V]>): KeyMap<K, V[]> {
  const groups = new KeyMap<K, V[]>();
  for (const [k, v] of pairs) groups.getOrCreate(k, () => []).push(v);
  return groups;
}

/** Reduces pair values by key with f, keeping first-seen key order. */
export function reduceByKey<K, V>(pairs: Iterable<readonly [K, V]>, f: (a: V, b: V) => V): KeyMap<K, V> {
  const out = new KeyMap<K, V>();
  for (const [k, v] of pairs) out.merge(k, v, f);
  return out;
}
