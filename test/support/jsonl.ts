// Reads a JSON-lines file a sink wrote (a missing file reads as no lines), for tests that check window results.
import { readFile } from 'node:fs/promises';

export async function readJsonLines<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}
