// Reading what a daemon under fault wrote to its sinks, for the fault suites: window results and alert
// notifications de-duplicated by their deterministic id, failing loudly when one id carries two different values.
import { isDeepStrictEqual } from 'node:util';
import { readJsonLines } from '../support/jsonl.js';

/** Whether the long variants run (SLUICE_LONG=1): more kills, more data. */
export const LONG = process.env.SLUICE_LONG === '1';

export interface WindowResult {
  id: string;
  pipeline: string;
  key: string;
  windowStart: number;
  windowEnd: number;
  values: Record<string, number | null>;
}

export interface AlertNotification {
  id: string;
  alert: string;
  status: 'firing' | 'resolved';
  key: string;
  startsAt: number;
}

/** Records by id; throws when an id comes back with other values (a duplicate must be identical). */
export function byId<T extends { id: string }>(records: readonly T[], where: string): Map<string, T> {
  const out = new Map<string, T>();
  for (const record of records) {
    const seen = out.get(record.id);
    if (seen !== undefined && !isDeepStrictEqual(seen, record)) {
      throw new Error(
        `${where}: id ${record.id} emitted with different values:\n${JSON.stringify(seen)}\n${JSON.stringify(record)}`,
      );
    }
    if (seen === undefined) out.set(record.id, record);
  }
  return out;
}

/** A JSON-lines sink file read and de-duplicated by id, with how many lines it had. */
export async function readById<T extends { id: string }>(
  file: string,
): Promise<{ lines: number; unique: Map<string, T> }> {
  const lines = await readJsonLines<T>(file);
  return { lines: lines.length, unique: byId(lines, file) };
}

/** The sum of one aggregate over the results of one pipeline. */
export function total(results: Iterable<WindowResult>, pipeline: string, value: string): number {
  let n = 0;
  for (const r of results) if (r.pipeline === pipeline) n += r.values[value] ?? 0;
  return n;
}
