// Key identity for pair streams: primitives compare by value, composite keys (tuples, objects) by their JSON form,
// as Spark compares keys with equals/hashCode rather than by reference.

/** The identity a key is grouped under. Primitives are their own identity. */
export type KeyId = string | number | boolean | bigint | symbol | null | undefined;

const COMPOSITE = '\u0000k:';

export function keyId(key: unknown): KeyId {
  if (key === null || typeof key !== 'object') return key as KeyId;
  return COMPOSITE + JSON.stringify(key);
}

/** A Map keyed by key identity; iteration is insertion order. Primitive keys are stored as they are (no extra
 * allocation per entry); a composite key keeps the first original it was stored under. */
export class KeyMap<K, V> {
  private readonly map = new Map<KeyId, V>();
  private readonly originals = new Map<string, K>();

  get size(): number {
    return this.map.size;
  }
  get(key: K): V | undefined {
    return this.map.get(this.id(key));
  }
  has(key: K): boolean {
    return this.map.has(this.id(key));
  }
  set(key: K, value: V): void {
    this.map.set(this.remember(key), value);
  }
  delete(key: K): boolean {
    const id = this.id(key);
    if (typeof id === 'string' && id.startsWith(COMPOSITE)) this.originals.delete(id);
    return this.map.delete(id);
  }
  /** Stores value under key, or f(existing, value) when the key is present. */
  merge(key: K, value: V, f: (a: V, b: V) => V): void {
    const id = this.remember(key);
    const map = this.map;
    const current = map.get(id);
    map.set(id, current !== undefined || map.has(id) ? f(current as V, value) : value);
  }
  /** Folds item into the value under key (creating it with init() first), setting it only when add returns a
   * new object: one Map lookup per call for in-place aggregators. */
  fold<T>(key: K, item: T, init: () => V, add: (value: V, item: T) => V): void {
    const id = this.remember(key);
    const map = this.map;
    const current = map.get(id);
    const base = current !== undefined || map.has(id) ? (current as V) : init();
    const next = add(base, item);
    if (next !== current || current === undefined) map.set(id, next);
  }
  /** Returns the value under key, creating it with make() when absent. */
  getOrCreate(key: K, make: () => V): V {
    const id = this.remember(key);
    const map = this.map;
    const current = map.get(id);
    if (current !== undefined || map.has(id)) return current as V;
    const value = make();
    map.set(id, value);
    return value;
  }
  /** Calls f for every entry, in insertion order, without allocating a pair per entry. */
  forEach(f: (value: V, key: K) => void): void {
    this.map.forEach((v, id) => {
      f(v, this.original(id));
    });
  }
  *entries(): IterableIterator<[K, V]> {
    for (const [id, v] of this.map) yield [this.original(id), v];
  }
  *keys(): IterableIterator<K> {
    for (const id of this.map.keys()) yield this.original(id);
  }
  clear(): void {
    this.map.clear();
    this.originals.clear();
  }
  /** The entries as [key, value] pairs (fresh tuples), for output batches and snapshots. */
  toPairs(): [K, V][] {
    const out: [K, V][] = [];
    for (const [id, v] of this.map) out.push([this.original(id), v]);
    return out;
  }
  static fromPairs<K, V>(pairs: Iterable<readonly [K, V]>): KeyMap<K, V> {
    const m = new KeyMap<K, V>();
    for (const [k, v] of pairs) m.set(k, v);
    return m;
  }

  private id(key: K): KeyId {
    return key === null || typeof key !== 'object' ? (key as KeyId) : keyId(key);
  }
  /** The key's identity, remembering a composite key's original the first time it is seen. */
  private remember(key: K): KeyId {
    if (key === null || typeof key !== 'object') return key as KeyId;
    const id = keyId(key) as string;
    if (!this.originals.has(id)) this.originals.set(id, key);
    return id;
  }
  private original(id: KeyId): K {
    if (typeof id === 'string' && id.startsWith(COMPOSITE)) return this.originals.get(id) as K;
    return id as K;
  }
}

/** Groups pair values by key, keeping first-seen key order and arrival order of values. */
export function groupByKey<K, V>(pairs: Iterable<readonly [K, V]>): KeyMap<K, V[]> {
  const groups = new KeyMap<K, V[]>();
  for (const [k, v] of pairs) groups.getOrCreate(k, newList as () => V[]).push(v);
  return groups;
}

function newList(): unknown[] {
  return [];
}

/** Reduces pair values by key with f, keeping first-seen key order. */
export function reduceByKey<K, V>(pairs: Iterable<readonly [K, V]>, f: (a: V, b: V) => V): KeyMap<K, V> {
  const out = new KeyMap<K, V>();
  for (const [k, v] of pairs) out.merge(k, v, f);
  return out;
}

/**
 * Dense integer slots for keys (by key identity), so per-key state can live in arrays indexed by slot instead of
 * one Map entry or object per key. A released slot is handed out again; `reset` forgets every key at once.
 */
export class KeySlots<K> {
  private readonly slotOf = new Map<KeyId, number>();
  /** The key of each slot in use (the first original of a composite key). */
  readonly keyOf: K[] = [];
  private readonly idOf: KeyId[] = [];
  private readonly free: number[] = [];
  private hi = 0;

  /** Keys holding a slot. */
  get size(): number {
    return this.slotOf.size;
  }
  /** One past the highest slot handed out since the last reset: every slot in use is below it. */
  get highWater(): number {
    return this.hi;
  }
  /** The key's slot, handing out a free or new one (below highWater) for a key not seen yet. */
  slot(key: K): number {
    const id = key === null || typeof key !== 'object' ? (key as KeyId) : keyId(key);
    let s = this.slotOf.get(id);
    if (s === undefined) {
      s = this.free.pop() ?? this.hi++;
      this.slotOf.set(id, s);
      this.keyOf[s] = key;
      this.idOf[s] = id;
    }
    return s;
  }
  /** Gives a slot back: its key gets a new slot when seen again. */
  release(s: number): void {
    this.slotOf.delete(this.idOf[s]);
    this.free.push(s);
  }
  /** Forgets every key; slots are handed out from 0 again. */
  reset(): void {
    this.slotOf.clear();
    this.free.length = 0;
    this.hi = 0;
  }
}
