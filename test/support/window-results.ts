// Reading a file sink's window results back for crash tests: de-duplicated by id (a record sent again after a
// crash carries the same id), failing if one id ever came with different values.
import { readFile } from 'node:fs/promises';

export interface CountedWindow {
  id: string;
  key: string;
  windowStart: number;
  values: { n: number; v_sum: number };
}

/** The window results in a JSON-lines file by id; throws when an id appears with different values. */
export async function readWindowResults(file: string): Promise<Map<string, CountedWindow>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = new Map<string, string>();
  const byId = new Map<string, CountedWindow>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line) as CountedWindow;
    const seen = lines.get(record.id);
    if (seen !== undefined && seen !== line) {
      throw new Error(`id ${record.id} emitted with different values:\n${seen}\n${line}`);
    }
    lines.set(record.id, line);
    byId.set(record.id, record);
  }
  return byId;
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
