// What every implementation of the peers benchmark must output: the windows computed here straight from the
// workload, and the comparison of an implementation's result lines against them, window by window.
import { SENSORS, payloadOf, topicOf } from '../mqtt/workload.js';

export const SIZE_MS = 1000;
export const LATENESS_MS = 2000;

export interface WindowValues {
  n: number;
  avg: number;
  min: number;
  max: number;
}

/** `<sensor>/<windowStart>` → values, for every window that must be closed once the last reading is in. */
export type Windows = Map<string, WindowValues>;

/**
 * The windows of readings 0..n-1 that end at least a window before the final watermark (newest event time minus
 * the lateness): closed in every implementation whatever its exact closing rule, so all must have written them.
 */
export function expectedWindows(n: number): Windows {
  const acc = new Map<string, { n: number; sum: number; min: number; max: number }>();
  let newest = -Infinity;
  for (let i = 0; i < n; i++) {
    const { ts, temp } = JSON.parse(payloadOf(i)) as { ts: number; temp: number };
    newest = Math.max(newest, ts);
    const id = `${topicOf(i).split('/')[1] ?? ''}/${ts - (ts % SIZE_MS)}`;
    const w = acc.get(id);
    if (w === undefined) acc.set(id, { n: 1, sum: temp, min: temp, max: temp });
    else {
      w.n += 1;
      w.sum += temp;
      w.min = Math.min(w.min, temp);
      w.max = Math.max(w.max, temp);
    }
  }
  const cutoff = cutoffOf(newest);
  const out: Windows = new Map();
  for (const [id, w] of acc) {
    if (Number(id.slice(id.indexOf('/') + 1)) + SIZE_MS <= cutoff)
      out.set(id, { n: w.n, avg: w.sum / w.n, min: w.min, max: w.max });
  }
  if (out.size === 0) throw new Error(`${n} messages make no closed window: use at least ${SENSORS * 500}`);
  return out;
}

function cutoffOf(newest: number): number {
  return newest - LATENESS_MS - SIZE_MS;
}

/** One result line of any implementation: Sluice's window record or the peers' flat rows. */
export function parseResult(text: string): { id: string; values: WindowValues } {
  const row = JSON.parse(text) as {
    key: string;
    windowStart: number;
    n?: number;
    avg?: number;
    min?: number;
    max?: number;
    values?: { n: number; temp_avg: number; temp_min: number; temp_max: number };
  };
  const v = row.values;
  return {
    id: `${row.key}/${row.windowStart}`,
    values:
      v === undefined
        ? { n: row.n ?? NaN, avg: row.avg ?? NaN, min: row.min ?? NaN, max: row.max ?? NaN }
        : { n: v.n, avg: v.temp_avg, min: v.temp_min, max: v.temp_max },
  };
}

export interface Comparison {
  /** Expected windows present with equal values. */
  matched: number;
  missing: number;
  /** Expected windows present with other values (or twice with different values). */
  mismatched: number;
  /** Lines of an expected window written more than once. */
  duplicates: number;
  /** The first few differences, for the report. */
  examples: string[];
}

const close = (a: number, b: number): boolean =>
  a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** Compares result lines against the expected windows (windows after the cutoff are ignored). */
export function compare(expected: Windows, lines: readonly string[]): Comparison {
  const seen = new Map<string, WindowValues>();
  const c: Comparison = { matched: 0, missing: 0, mismatched: 0, duplicates: 0, examples: [] };
  const differs = (a: WindowValues, b: WindowValues): boolean =>
    a.n !== b.n || !close(a.avg, b.avg) || a.min !== b.min || a.max !== b.max;
  for (const text of lines) {
    const { id, values } = parseResult(text);
    const want = expected.get(id);
    if (want === undefined) continue;
    const before = seen.get(id);
    if (before !== undefined) {
      c.duplicates += 1;
      if (differs(before, values)) {
        c.mismatched += 1;
        if (c.examples.length < 3)
          c.examples.push(`${id} written twice: ${JSON.stringify(before)} then ${JSON.stringify(values)}`);
      }
      continue;
    }
    seen.set(id, values);
    if (differs(values, want)) {
      c.mismatched += 1;
      if (c.examples.length < 3)
        c.examples.push(`${id}: ${JSON.stringify(values)}, expected ${JSON.stringify(want)}`);
    } else c.matched += 1;
  }
  for (const id of expected.keys()) {
    if (!seen.has(id)) {
      c.missing += 1;
      if (c.examples.length < 3) c.examples.push(`${id} missing`);
    }
  }
  return c;
}

/** How many expected windows these lines hold (to tell when an implementation has written them all). */
export function expectedPresent(expected: Windows, lines: readonly string[], seen: Set<string>): number {
  for (const text of lines) {
    const { id } = parseResult(text);
    if (expected.has(id)) seen.add(id);
  }
  return seen.size;
}
