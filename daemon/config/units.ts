// Durations (`500ms`, `10s`, `1h30m`) and sizes (`256MiB`, `100MB`) in config values: parsing to milliseconds
// and bytes, formatting back, and the zod schemas whose messages say which forms are accepted.
//
// Decisions (documented in the config reference):
// - A value must carry its unit. A bare number is rejected (is `10` seconds or milliseconds?), except 0, which
//   means the same in every unit.
// - Durations: ms, s, m, h, d, lowercase; groups may be combined largest first (`1h30m`, `1m30s`, `1s500ms`).
//   Decimals are allowed when the result is a whole number of milliseconds (`1.5s`, not `0.5ms`).
// - Sizes: B, KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024), case as written here.
//   A bare `K`/`M`/`G` is rejected as ambiguous. Decimals are allowed when the result is whole bytes.
import { z } from 'zod';

export type UnitParse = { ok: true; value: number } | { ok: false; message: string; hint: string };

const DURATION_UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

const SIZE_UNITS = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
  ['TB', 1000 ** 4],
  ['GB', 1000 ** 3],
  ['MB', 1000 ** 2],
  ['KB', 1000],
  ['B', 1],
] as const;

/** JSON Schema pattern for durations, for editors; the parser below is the authority. */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+)$';
/** JSON Schema pattern for sizes, for editors; the parser below is the authority. */
export const SIZE_PATTERN = '^(0|[0-9]+(\\.[0-9]+)?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB))$';

const DURATION_FORMS = '500ms, 10s, 2m, 1h, 7d or combined like 1h30m';
const SIZE_FORMS = '512KiB, 256MiB, 1GiB (powers of 1024) or 100KB, 100MB, 1GB (powers of 1000)';

const fail = (message: string, hint: string): UnitParse => ({ ok: false, message, hint });

/** `amount × multiplier` computed exactly from the decimal text; undefined when the result is not whole. */
function exactProduct(amount: string, multiplier: number): number | undefined {
  const [whole = '0', fraction = ''] = amount.split('.');
  const scaled = BigInt(whole + fraction) * BigInt(multiplier);
  const divisor = 10n ** BigInt(fraction.length);
  if (scaled % divisor !== 0n) return undefined;
  const result = scaled / divisor;
  return result > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(result);
}

function bareNumber(input: number | string, what: 'duration' | 'size', example: string): UnitParse {
  const n = Number(input);
  if (n === 0) return { ok: true, value: 0 };
  return fail(`a ${what} needs a unit: a bare number is ambiguous`, `write it with a unit, e.g. ${example}`);
}

/** Parses a duration to whole milliseconds. Accepts a number only when it is 0. */
export function parseDuration(input: unknown): UnitParse {
  if (typeof input === 'number' || (typeof input === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(input))) {
    if (Number(input) < 0)
      return fail('a duration cannot be negative', `write a positive duration: ${DURATION_FORMS}`);
    const n = Number(input);
    return bareNumber(input, 'duration', `${n}s or ${n}ms`);
  }
  if (typeof input !== 'string') {
    return fail(`expected a duration, got ${describeType(input)}`, `write a duration: ${DURATION_FORMS}`);
  }
  const text = input.trim();
  if (text.startsWith('-')) {
    return fail('a duration cannot be negative', `write a positive duration: ${DURATION_FORMS}`);
  }
  const groups = [...text.matchAll(/(\d+(?:\.\d+)?)([a-zA-Z]+)/g)];
  if (groups.length === 0 || groups.map((g) => g[0]).join('') !== text) {
    return fail('not a duration', durationHint(text));
  }
  let total = 0;
  let lastRank = -1;
  for (const [, amount = '', unit = ''] of groups) {
    const rank = DURATION_UNITS.findIndex(([name]) => name === unit);
    const entry = DURATION_UNITS[rank];
    if (entry === undefined) return fail(`unknown duration unit "${unit}"`, durationHint(text));
    if (rank <= lastRank) {
      return fail('duration units must go from largest to smallest, each once', 'write e.g. 1h30m or 1m30s');
    }
    lastRank = rank;
    const ms = exactProduct(amount, entry[1]);
    if (ms === undefined) {
      return fail(
        'a duration must be a whole number of milliseconds',
        'write e.g. 1.5s or 1500ms, not 0.5ms',
      );
    }
    total += ms;
  }
  if (!Number.isSafeInteger(total)) return fail('duration too long', 'write at most a few thousand years');
  return { ok: true, value: total };
}

function durationHint(text: string): string {
  const unit = /[a-zA-Z]+$/.exec(text)?.[0] ?? '';
  const suggestions: Readonly<Record<string, string>> = {
    sec: 's',
    secs: 's',
    second: 's',
    seconds: 's',
    min: 'm',
    mins: 'm',
    minute: 'm',
    minutes: 'm',
    hr: 'h',
    hrs: 'h',
    hour: 'h',
    hours: 'h',
    day: 'd',
    days: 'd',
    msec: 'ms',
    millis: 'ms',
    milliseconds: 'ms',
    S: 's',
    MS: 'ms',
    H: 'h',
    D: 'd',
  };
  const suggested = suggestions[unit];
  if (suggested !== undefined)
    return `write the unit as "${suggested}": accepted forms are ${DURATION_FORMS}`;
  if (unit === 'M') return `"M" is ambiguous: write "m" for minutes; accepted forms are ${DURATION_FORMS}`;
  if (unit === 'w' || unit === 'week' || unit === 'weeks') return 'weeks are not a unit: write 7d';
  if (/\s/.test(text)) return `write the number and unit without a space: ${DURATION_FORMS}`;
  return `accepted forms: ${DURATION_FORMS}`;
}

/** Parses a size to whole bytes. Accepts a number only when it is 0. */
export function parseSize(input: unknown): UnitParse {
  if (typeof input === 'number' || (typeof input === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(input))) {
    if (Number(input) < 0) return fail('a size cannot be negative', `write a size: ${SIZE_FORMS}`);
    const n = Number(input);
    return bareNumber(input, 'size', `${n}B, ${n}KiB or ${n}MiB`);
  }
  if (typeof input !== 'string') {
    return fail(`expected a size, got ${describeType(input)}`, `write a size: ${SIZE_FORMS}`);
  }
  const text = input.trim();
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]+)$/.exec(text);
  if (match === null) {
    const hint = text.startsWith('-')
      ? `a size cannot be negative: ${SIZE_FORMS}`
      : `accepted forms: ${SIZE_FORMS}`;
    return fail('not a size', hint);
  }
  const [, amount = '', unit = ''] = match;
  if (/\s/.test(text))
    return fail('not a size', `write the number and unit without a space, e.g. ${amount}${unit}`);
  const entry = SIZE_UNITS.find(([name]) => name === unit);
  if (entry === undefined) return fail(`unknown size unit "${unit}"`, sizeHint(amount, unit));
  const bytes = exactProduct(amount, entry[1]);
  if (bytes === undefined)
    return fail('a size must be a whole number of bytes', `write e.g. 1.5KiB, not 0.1B`);
  if (!Number.isSafeInteger(bytes)) return fail('size too large', 'write at most a few petabytes');
  return { ok: true, value: bytes };
}

function sizeHint(amount: string, unit: string): string {
  const upper = unit.toUpperCase();
  const letter = upper.charAt(0);
  if (['K', 'M', 'G', 'T'].includes(letter)) {
    const binary = `${letter}iB`;
    const decimal = `${letter}B`;
    if (upper === letter || upper === `${letter}I`) {
      return `"${unit}" is ambiguous: write ${amount}${binary} (×1024) or ${amount}${decimal} (×1000)`;
    }
    if (upper === `${letter}IB`) return `write the unit as "${binary}"`;
    if (upper === `${letter}B`) return `write the unit as "${decimal}" (or "${binary}" for powers of 1024)`;
  }
  if (upper === 'B' || upper === 'BYTES' || upper === 'BYTE') return `write the unit as "B": ${amount}B`;
  return `accepted forms: ${SIZE_FORMS}`;
}

function describeType(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  return typeof input === 'object' ? 'a map' : `a ${typeof input}`;
}

/** Formats milliseconds as the shortest exact duration: 90000 → `1m30s`, 1500 → `1s500ms`, 0 → `0`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = ms;
  let text = '';
  for (const [unit, size] of DURATION_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}

/** Formats bytes exactly in the largest unit that divides them, preferring powers of 1024: 268435456 → `256MiB`. */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0';
  const unit = SIZE_UNITS.find(([, size]) => bytes % size === 0);
  return unit === undefined ? `${bytes}B` : `${bytes / unit[1]}${unit[0]}`;
}

function unitSchema(parse: (input: unknown) => UnitParse, title: string, pattern: string, forms: string) {
  return z
    .union([z.string(), z.number()], { error: () => `expected a ${title}: ${forms}` })
    .transform((input, ctx) => {
      const parsed = parse(input);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.message, input, params: { hint: parsed.hint } });
      return z.NEVER;
    })
    .meta({ title, pattern });
}

/** A duration in config (`10s`), parsed to milliseconds. Describe the field with `.describe()`. */
export const durationSchema = unitSchema(parseDuration, 'duration', DURATION_PATTERN, DURATION_FORMS);

/** A size in config (`256MiB`), parsed to bytes. Describe the field with `.describe()`. */
export const sizeSchema = unitSchema(parseSize, 'size', SIZE_PATTERN, SIZE_FORMS);
