// Numeric aggregates as kernels over a few slots of a packed number array, so one AggregateSet state can hold
// every numeric partial of a window in a single array (no object per aggregate, no allocation per add).

export const NUMERIC_FNS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'stddev',
  'first',
  'last',
  'delta',
  'rate',
] as const;
export type NumericFn = (typeof NUMERIC_FNS)[number];

/** Slots a kernel writes: a packed number[] (one state) or a Float64Array (many states side by side). */
export interface Cells {
  [i: number]: number;
}
/** Slots a kernel reads. */
export interface ReadonlyCells {
  readonly [i: number]: number;
}

/**
 * One numeric aggregate living in `width` slots at offset `o` of a state array.
 * Kernels see only finite values (callers skip the rest) and never allocate.
 */
export interface Kernel {
  readonly fn: NumericFn;
  readonly width: number;
  /** The slots of an empty state, the identity of `merge`. */
  readonly empty: readonly number[];
  add(s: Cells, o: number, v: number, ts: number): void;
  /** Writes merge(a at oa, b at ob) into `out` at oo, where `a` holds the records that arrived first. */
  merge(out: Cells, oo: number, a: ReadonlyCells, oa: number, b: ReadonlyCells, ob: number): void;
  result(s: ReadonlyCells, o: number): number | null;
  /** Why `slots` (decoded from JSON) cannot be a state of this kernel, or undefined when they can. */
  invalid(slots: readonly number[]): string | undefined;
}

// Reads a slot; the NaN fallback is unreachable for in-range offsets.
function at(s: ReadonlyCells, i: number): number {
  return s[i] ?? NaN;
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

const count: Kernel = {
  fn: 'count',
  width: 1,
  empty: [0],
  add(s, o) {
    s[o] = at(s, o) + 1;
  },
  merge(out, oo, a, oa, b, ob) {
    out[oo] = at(a, oa) + at(b, ob);
  },
  result: (s, o) => at(s, o),
  invalid: ([n = NaN]) => (isCount(n) ? undefined : 'count must be a non-negative integer'),
};

const sum: Kernel = {
  fn: 'sum',
  width: 1,
  empty: [0],
  add(s, o, v) {
    s[o] = at(s, o) + v;
  },
  merge(out, oo, a, oa, b, ob) {
    out[oo] = at(a, oa) + at(b, ob);
  },
  result: (s, o) => at(s, o),
  // A sum of finite values may still overflow to ±Infinity (or NaN when both do): those are real states.
  invalid: () => undefined,
};

const avg: Kernel = {
  fn: 'avg',
  width: 2,
  empty: [0, 0],
  add(s, o, v) {
    s[o] = at(s, o) + 1;
    s[o + 1] = at(s, o + 1) + v;
  },
  merge(out, oo, a, oa, b, ob) {
    out[oo] = at(a, oa) + at(b, ob);
    out[oo + 1] = at(a, oa + 1) + at(b, ob + 1);
  },
  result(s, o) {
    const n = at(s, o);
    return n === 0 ? null : at(s, o + 1) / n;
  },
  invalid([n = NaN, total = NaN]) {
    if (!isCount(n)) return 'count must be a non-negative integer';
    return n === 0 && total !== 0 ? 'an empty avg must have sum 0' : undefined;
  },
};

// min and max keep ±Infinity for "nothing yet": values are finite, so the sentinel is unambiguous.
function extreme(fn: 'min' | 'max'): Kernel {
  const sign = fn === 'min' ? 1 : -1;
  const none = sign * Infinity;
  return {
    fn,
    width: 1,
    empty: [none],
    add(s, o, v) {
      if (sign * v < sign * at(s, o)) s[o] = v;
    },
    merge(out, oo, a, oa, b, ob) {
      const x = at(a, oa);
      const y = at(b, ob);
      out[oo] = sign * y < sign * x ? y : x;
    },
    result(s, o) {
      const x = at(s, o);
      return x === none ? null : x;
    },
    invalid: ([x = NaN]) =>
      Number.isFinite(x) || x === none ? undefined : `${fn} must be a finite number or ${String(none)}`,
  };
}

function copy3(out: Cells, oo: number, src: ReadonlyCells, o: number): void {
  out[oo] = at(src, o);
  out[oo + 1] = at(src, o + 1);
  out[oo + 2] = at(src, o + 2);
}

// Welford's update and Chan et al.'s pairwise merge over (n, mean, m2): stable where sum-of-squares cancels.
const stddev: Kernel = {
  fn: 'stddev',
  width: 3,
  empty: [0, 0, 0],
  add(s, o, v) {
    const n = at(s, o) + 1;
    const mean = at(s, o + 1);
    const d = v - mean;
    const next = mean + d / n;
    s[o] = n;
    s[o + 1] = next;
    s[o + 2] = at(s, o + 2) + d * (v - next);
  },
  merge(out, oo, a, oa, b, ob) {
    const na = at(a, oa);
    const nb = at(b, ob);
    if (nb === 0 || na === 0) {
      if (nb === 0) copy3(out, oo, a, oa);
      else copy3(out, oo, b, ob);
      return;
    }
    const n = na + nb;
    const ma = at(a, oa + 1);
    const d = at(b, ob + 1) - ma;
    out[oo] = n;
    out[oo + 1] = ma + (d * nb) / n;
    out[oo + 2] = at(a, oa + 2) + at(b, ob + 2) + ((d * d * na) / n) * nb;
  },
  // Sample standard deviation (divides by n − 1, like SQL's stddev/stddev_samp): null below two values.
  result(s, o) {
    const n = at(s, o);
    return n < 2 ? null : Math.sqrt(at(s, o + 2) / (n - 1));
  },
  invalid([n = NaN, mean = NaN, m2 = NaN]) {
    if (!isCount(n)) return 'count must be a non-negative integer';
    if (!Number.isFinite(mean) || !Number.isFinite(m2) || m2 < 0)
      return 'mean and m2 must be finite, m2 >= 0';
    return n === 0 && (mean !== 0 || m2 !== 0) ? 'an empty stddev must have mean 0 and m2 0' : undefined;
  },
};

// first and last hold (ts, value); an empty one has ts = +Infinity (first) or −Infinity (last), value 0.
// Ties on ts: first keeps the earliest arrival, last the latest (hence < versus >=, in add and in merge).
function firstAdd(s: Cells, o: number, v: number, ts: number): void {
  if (Number.isFinite(ts) && ts < at(s, o)) {
    s[o] = ts;
    s[o + 1] = v;
  }
}
function lastAdd(s: Cells, o: number, v: number, ts: number): void {
  if (Number.isFinite(ts) && ts >= at(s, o)) {
    s[o] = ts;
    s[o + 1] = v;
  }
}
function copy2(out: Cells, oo: number, src: ReadonlyCells, o: number): void {
  out[oo] = at(src, o);
  out[oo + 1] = at(src, o + 1);
}
function firstMerge(
  out: Cells,
  oo: number,
  a: ReadonlyCells,
  oa: number,
  b: ReadonlyCells,
  ob: number,
): void {
  if (at(b, ob) < at(a, oa)) copy2(out, oo, b, ob);
  else copy2(out, oo, a, oa);
}
function lastMerge(out: Cells, oo: number, a: ReadonlyCells, oa: number, b: ReadonlyCells, ob: number): void {
  if (at(b, ob) >= at(a, oa)) copy2(out, oo, b, ob);
  else copy2(out, oo, a, oa);
}
function invalidPoint(ts: number, v: number, none: number): string | undefined {
  if (ts === none) return v === 0 ? undefined : 'an empty first/last must have value 0';
  return Number.isFinite(ts) && Number.isFinite(v) ? undefined : 'timestamp and value must be finite';
}

const first: Kernel = {
  fn: 'first',
  width: 2,
  empty: [Infinity, 0],
  add: firstAdd,
  merge: firstMerge,
  result: (s, o) => (at(s, o) === Infinity ? null : at(s, o + 1)),
  invalid: ([ts = NaN, v = NaN]) => invalidPoint(ts, v, Infinity),
};

const last: Kernel = {
  fn: 'last',
  width: 2,
  empty: [-Infinity, 0],
  add: lastAdd,
  merge: lastMerge,
  result: (s, o) => (at(s, o) === -Infinity ? null : at(s, o + 1)),
  invalid: ([ts = NaN, v = NaN]) => invalidPoint(ts, v, -Infinity),
};

// delta and rate hold first (ts, value) then last (ts, value).
function span(fn: 'delta' | 'rate'): Kernel {
  return {
    fn,
    width: 4,
    empty: [Infinity, 0, -Infinity, 0],
    add(s, o, v, ts) {
      firstAdd(s, o, v, ts);
      lastAdd(s, o + 2, v, ts);
    },
    merge(out, oo, a, oa, b, ob) {
      firstMerge(out, oo, a, oa, b, ob);
      lastMerge(out, oo + 2, a, oa + 2, b, ob + 2);
    },
    result(s, o) {
      const t0 = at(s, o);
      const t1 = at(s, o + 2);
      if (t0 === Infinity) return null;
      const dv = at(s, o + 3) - at(s, o + 1);
      if (fn === 'delta') return dv;
      // Per second, timestamps being milliseconds; undefined over a zero-length span.
      return t1 === t0 ? null : dv / ((t1 - t0) / 1000);
    },
    invalid([t0 = NaN, v0 = NaN, t1 = NaN, v1 = NaN]) {
      const why = invalidPoint(t0, v0, Infinity) ?? invalidPoint(t1, v1, -Infinity);
      if (why !== undefined) return why;
      if ((t0 === Infinity) !== (t1 === -Infinity)) return 'first and last must be empty together';
      return t0 !== Infinity && t0 > t1 ? 'first timestamp must not follow last timestamp' : undefined;
    },
  };
}

export const KERNELS: Readonly<Record<NumericFn, Kernel>> = {
  count,
  sum,
  avg,
  min: extreme('min'),
  max: extreme('max'),
  stddev,
  first,
  last,
  delta: span('delta'),
  rate: span('rate'),
};
