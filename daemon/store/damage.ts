// Damage checks around LevelDB's own recovery, so a damaged state store is never a silent loss:
// - a store whose CURRENT file is gone would be opened as a new, empty database (LevelDB then deletes the old
//   table files), so it is refused, with `sluice repair` as the way out;
// - a log that ends in a torn or unreadable record (a write cut short by a power loss or a full disk, or garbage)
//   is reported before LevelDB quietly ignores the tail;
// - what LevelDB itself logged about dropped bytes while opening (its LOG file) is reported too.
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SluiceError } from '../errors.js';

/** The hint for every damaged-store error: the repair command. */
export const REPAIR_HINT =
  'Stop the daemon and run `sluice repair -c FILE`: it keeps a copy of the damaged store, rebuilds it from what is readable and prints what it could not recover. Or move the state directory aside to start empty.';

const BLOCK = 32_768; // LevelDB log block size
const HEADER = 7; // checksum (4), length (2), type (1)

/** Throws when the store cannot be opened safely; returns what is damaged but can be opened (one line each). */
export async function checkBeforeOpen(location: string): Promise<string[]> {
  const files = await readdir(location).catch(() => [] as string[]);
  const data = files.filter((f) => /^\d+\.(ldb|sst|log)$/.test(f) || f.startsWith('MANIFEST-'));
  if (data.length > 0 && !files.includes('CURRENT')) {
    throw new SluiceError(
      'SLUICE_STATE_CORRUPT',
      `the state store in ${location} has data files (${data.join(', ')}) but no CURRENT file: opened as it is, it would start empty and delete them`,
      { hint: REPAIR_HINT },
    );
  }
  const found: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.log')).sort()) {
    const tail = await unreadableTail(path.join(location, file));
    if (tail !== undefined) {
      found.push(
        `${file}: the last ${tail.bytes} bytes (from offset ${tail.offset}) are ${tail.why}; LevelDB ignores them (a write cut short by a power loss or a full disk loses at most that write)`,
      );
    }
  }
  return found;
}

/** Where a LevelDB log stops being a sequence of whole records, if it does before its end. */
async function unreadableTail(
  file: string,
): Promise<{ offset: number; bytes: number; why: string } | undefined> {
  const bytes = await readWhole(file);
  let offset = 0;
  while (offset < bytes.length) {
    const left = BLOCK - (offset % BLOCK);
    if (left < HEADER) {
      offset += left; // a block trailer: zero padding
      continue;
    }
    if (bytes.length - offset < HEADER) return tail(offset, 'a torn record header');
    const length = bytes.readUInt16LE(offset + 4);
    const type = bytes[offset + 6] ?? 0;
    // A zero header is padding at the end of a preallocated file: nothing follows.
    if (type === 0 && length === 0 && bytes.readUInt32LE(offset) === 0) {
      return bytes.subarray(offset).every((b) => b === 0) ? undefined : tail(offset, 'not log records');
    }
    if (type < 1 || type > 4 || HEADER + length > left) return tail(offset, 'not log records');
    if (offset + HEADER + length > bytes.length) return tail(offset, 'a torn record (cut short)');
    offset += HEADER + length;
  }
  return undefined;

  function tail(at: number, why: string) {
    return { offset: at, bytes: bytes.length - at, why };
  }
}

async function readWhole(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Lines of LevelDB's info log (rewritten at each open or repair) that say it dropped or skipped something. */
export async function leveldbReports(location: string): Promise<string[]> {
  const text = await readFile(path.join(location, 'LOG'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => /corrupt|dropping|ignoring|skipping|error/i.test(line))
    .map((line) => line.replace(/^\S+ \S+ /, '').trim());
}

/** Whether an error (or one of its causes) is LevelDB reporting corruption. */
export function isCorruption(err: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { message, code, cause } = e as { message?: unknown; code?: unknown; cause?: unknown };
    if (code === 'LEVEL_CORRUPTION') return true;
    if (typeof message === 'string' && /Corruption:/i.test(message)) return true;
    e = cause;
  }
  return false;
}

/** The catalog error for a store LevelDB found corrupt, with LevelDB's own words and the repair hint. */
export function corruptionError(location: string, err: unknown): SluiceError {
  let detail = '';
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { message, cause } = e as { message?: unknown; cause?: unknown };
    if (typeof message === 'string' && /Corruption:/i.test(message)) detail = `: ${message}`;
    e = cause;
  }
  return new SluiceError('SLUICE_STATE_CORRUPT', `the state store in ${location} is damaged${detail}`, {
    cause: err,
    hint: REPAIR_HINT,
  });
}
