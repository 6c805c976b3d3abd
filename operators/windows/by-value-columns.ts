// Sliding windows over an Aggregator whose partial is a plain object of numbers ({ count, sum, max }, as a user
// writes one by hand) keep their partials by value, as numbers in the columnar window's typed arrays, instead
// of one object per key per pane: a slide then touches contiguous memory and leaves nothing for the collector
// to trace, and the generic path's cost of a 60-pane window goes away without the user choosing anything.
//
// The Aggregator's own add, merge and result still do all the work, on objects rebuilt from the numbers (a
// fresh one per call, so whatever they do with it is theirs); the result is stored back by value. A partial
// that is not such an object (a field added, removed, reordered or not a number, another prototype) is kept
// as it is, by reference, so nothing is lost. Partials are values here as in a checkpoint (or in Spark's
// and Flink's serialized accumulators): a window keeps a partial's fields, not the object's identity.
import { partialFromJSON, partialToJSON, type Aggregator } from '../aggregator.js';
import type { ColumnMerge } from '../aggregates/aggregate-set.js';
import type { AggregatorColumns } from '../aggregates/set-aggregator.js';

const MAX_FIELDS = 16;
// The cell after a partial's fields: EMPTY when they hold init()'s (nothing was added or merged in), FIELDS when
// they hold a partial, HELD when the partial is held by reference.
const EMPTY = 0;
const FIELDS = 1;
const HELD = 2;

/** The field names of a partial that can be kept by value: own, enumerable, writable number data properties of
 * a plain extensible object, 1 to 16 of them, in their enumeration order; undefined otherwise. */
function numberFields(p: unknown): string[] | undefined {
  if (p === null || typeof p !== 'object' || Object.getPrototypeOf(p) !== Object.prototype) return undefined;
  if (!Object.isExtensible(p) || Object.getOwnPropertySymbols(p).length > 0) return undefined;
  const names: string[] = [];
  for (const k in p) names.push(k);
  if (names.length === 0 || names.length > MAX_FIELDS) return undefined;
  if (Object.getOwnPropertyNames(p).length !== names.length || names.includes('__proto__')) return undefined;
  for (const k of names) {
    const d = Object.getOwnPropertyDescriptor(p, k);
    if (d === undefined || typeof d.value !== 'number' || d.writable !== true) return undefined;
  }
  return names;
}

type Box<P> = (cells: Float64Array, o: number) => P;
type Store<P> = (p: P, cells: Float64Array, o: number) => void;

interface Access<P> {
  /** The partial at o: a new object with its fields, or the held one. */
  box: Box<P>;
  /** Writes the partial at o into `into` (an object from box) and returns it, or returns the held one. */
  fill: (into: P, cells: Float64Array, o: number) => P;
  /** Writes p at o by value and returns true when it fits; false (nothing written) otherwise. */
  tryStore: (p: P, cells: Float64Array, o: number) => boolean;
}

// new Function fails under --disallow-code-generation-from-strings: the loops below are the fallback.
function generate(params: readonly string[], body: string, args: readonly unknown[]): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- integers and JSON string literals only
    return (new Function(...params, body) as (...a: unknown[]) => unknown)(...args);
  } catch {
    return undefined;
  }
}

function access<P>(
  names: readonly string[],
  heldAt: Box<P>,
  unhold: (cells: Float64Array, o: number) => void,
): Access<P> {
  const n = names.length;
  const lit = (i: number): string => JSON.stringify(names[i]);
  const fields = names.map((_, i) => `${lit(i)}: c[o + ${String(i)}]`).join(', ');
  const sets = names.map((_, i) => `p[${lit(i)}] = c[o + ${String(i)}];`).join('\n');
  const reads = names.map((_, i) => `const v${String(i)} = p[${lit(i)}];`).join('\n');
  const numeric = names.map((_, i) => `typeof v${String(i)} === 'number'`).join(' && ');
  const writes = names.map((_, i) => `c[o + ${String(i)}] = v${String(i)};`).join('\n');
  const generated = generate(
    ['names', 'heldAt', 'unhold', 'proto'],
    `return {
      box: (c, o) => (c[o + ${String(n)}] === ${String(HELD)} ? heldAt(c, o) : { ${fields} }),
      fill: (p, c, o) => {
        if (c[o + ${String(n)}] === ${String(HELD)}) return heldAt(c, o);
        ${sets}
        return p;
      },
      tryStore: (p, c, o) => {
        if (typeof p !== 'object' || p === null || Object.getPrototypeOf(p) !== proto) return false;
        ${reads}
        if (!(${numeric})) return false;
        let i = 0;
        for (const k in p) {
          if (k !== names[i]) return false;
          i++;
        }
        if (i !== ${String(n)}) return false;
        if (c[o + ${String(n)}] === ${String(HELD)}) unhold(c, o);
        ${writes}
        c[o + ${String(n)}] = ${String(FIELDS)};
        return true;
      },
    };`,
    [names, heldAt, unhold, Object.prototype],
  ) as Access<P> | undefined;
  if (generated !== undefined) return generated;
  const fill = (p: P, c: Float64Array, o: number): P => {
    if (c[o + n] === HELD) return heldAt(c, o);
    for (let i = 0; i < n; i++) (p as Record<string, number>)[names[i] as string] = c[o + i] as number;
    return p;
  };
  return {
    box: (c, o) => fill({} as P, c, o),
    fill,
    tryStore: (p, c, o) => {
      if (numberFields(p)?.join('\u0000') !== names.join('\u0000')) return false;
      if (c[o + n] === HELD) unhold(c, o);
      for (let i = 0; i < n; i++) c[o + i] = (p as Record<string, number>)[names[i] as string] as number;
      c[o + n] = FIELDS;
      return true;
    },
  };
}

/** The Aggregator as columns keeping its partials by value, when init() gives a plain object of numbers. */
export function byValueColumns<V, P, R>(agg: Aggregator<V, P, R>): AggregatorColumns<V, R> | undefined {
  const probe = agg.init();
  const names = numberFields(probe);
  if (names === undefined) return undefined;
  const n = names.length;
  // Partials held by reference, per array and offset (cells never move in the columnar window).
  const held = new WeakMap<Float64Array, Map<number, P>>();
  const heldAt = (c: Float64Array, o: number): P => held.get(c)?.get(o) as P;
  const hold = (p: P, c: Float64Array, o: number): void => {
    let m = held.get(c);
    if (m === undefined) held.set(c, (m = new Map<number, P>()));
    m.set(o, p);
    c[o + n] = HELD;
  };
  const unhold = (c: Float64Array, o: number): void => {
    held.get(c)?.delete(o);
  };
  const { box, fill, tryStore } = access(names, heldAt, unhold);
  const store: Store<P> = (p, c, o) => {
    if (!tryStore(p, c, o)) hold(p, c, o);
  };
  const fields = probe as Record<string, number>;
  const empty = [...names.map((k) => fields[k] as number), EMPTY];
  // init() is the identity of merge (the Aggregator contract): merging with an EMPTY partial copies the other.
  const copy = (src: Float64Array, os: number, out: Float64Array, oo: number): void => {
    if (src === out && os === oo) return;
    if (src[os + n] === HELD) {
      hold(heldAt(src, os), out, oo);
      return;
    }
    if (out[oo + n] === HELD) unhold(out, oo);
    for (let i = 0; i <= n; i++) out[oo + i] = src[os + i] as number;
  };
  // merge mutates neither input, so two reused objects carry its inputs (no allocation). A result that is one
  // of them is copied; one that does not fit may hold them, so it is computed again from fresh objects.
  const cells = Float64Array.from(empty);
  const left = box(cells, 0);
  const right = box(cells, 0);
  // The merge of a and b, stored at out (which may be a or b: tryStore writes nothing unless the result fits),
  // with one shape check of the result instead of a probe and then a store.
  const mergeInto: ColumnMerge = (out, oo, a, oa, b, ob) => {
    const r = agg.merge(fill(left, a, oa), fill(right, b, ob));
    if (r === left) copy(a, oa, out, oo);
    else if (r === right) copy(b, ob, out, oo);
    else if (!tryStore(r, out, oo)) hold(agg.merge(box(a, oa), box(b, ob)), out, oo);
  };
  // The window's value goes to the user's result, which may keep it: a result that is one of the reused
  // objects, or that does not fit (it may hold them), is computed again from fresh objects.
  const probeCells = new Float64Array(n + 1);
  const mergedOf = (a: Float64Array, oa: number, b: Float64Array, ob: number): P => {
    const r = agg.merge(fill(left, a, oa), fill(right, b, ob));
    if (r === left) return box(a, oa);
    if (r === right) return box(b, ob);
    return tryStore(r, probeCells, 0) ? r : agg.merge(box(a, oa), box(b, ob));
  };
  return {
    width: n + 1,
    empty,
    add: (c, o, v) => {
      store(agg.add(box(c, o), v), c, o);
    },
    merge: (out, oo, a, oa, b, ob) => {
      if (a[oa + n] === EMPTY) copy(b, ob, out, oo);
      else if (b[ob + n] === EMPTY) copy(a, oa, out, oo);
      else mergeInto(out, oo, a, oa, b, ob);
    },
    result: (c, o) => agg.result(box(c, o)),
    copy: (from, of, to, ot) => {
      copy(from, of, to, ot);
    },
    objects: {
      init: () => agg.init(),
      add: (p, v) => agg.add(p as P, v),
      store: (p, c, o) => {
        store(p as P, c, o);
      },
      load: box,
    },
    mergedResult: (a, oa, b, ob) => {
      if (a[oa + n] === EMPTY) return agg.result(box(b, ob));
      if (b[ob + n] === EMPTY) return agg.result(box(a, oa));
      return agg.result(mergedOf(a, oa, b, ob));
    },
    toJSON: (c, o) => partialToJSON(agg, box(c, o)),
    fromJSON: (j, c, o) => {
      store(partialFromJSON(agg, j), c, o);
    },
  };
}
