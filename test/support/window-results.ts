// Reading a file sink's window results back for crash tests: de-duplicated by id (a record sent again after a
// crash carries the same id), failing if one id ever came with different values.
import { isDeepStrictEqual } from 'node:util';
import { readJsonLines } from './jsonl.js';

export interface CountedWindow {
  id: string;
  key: string;
  windowStart: number;
  values: { n: number; v_sum: number };
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

/** A JSON-lines sink file read and de-duplicated by id, with how many lines it had (a missing file has none). */
export async function readById<T extends { id: string }>(
  file: string,
): Promise<{ lines: number; unique: Map<string, T> }> {
  const lines = await readJsonLines<T>(file);
  return { lines: lines.length, unique: byId(lines, file) };
}

/** The window results in a JSON-lines file by id; throws when an id appears with different values. */
export async function readWindowResults(file: string): Promise<Map<string, CountedWindow>> {
  return (await readById<CountedWindow>(file)).unique;
}

/** One aggregate (`n` or `v_sum`) summed over all windows, leaving out the keys named. */
export function summed(
  byId: ReadonlyMap<string, CountedWindow>,
  value: keyof CountedWindow['values'],
  ...except: string[]
): number {
  let sum = 0;
  for (const r of byId.values()) if (!except.includes(r.key)) sum += r.values[value];
  return sum;
}

/** Readings counted over all windows (the `n` aggregate), leaving out the keys named. */
export function countedReadings(byId: ReadonlyMap<string, CountedWindow>, ...except: string[]): number {
  return summed(byId, 'n', ...except);
}
